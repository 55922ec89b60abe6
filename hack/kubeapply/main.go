// Command kubeapply is the small Kubernetes client the cluster scripts need, so that
// neither kubectl nor PyYAML has to be installed on the machine.
//
// It reads the kubeconfig that scripts/cluster-up.sh writes (one cluster, one user with a
// bearer token) and talks plain HTTPS + JSON to the API server:
//
//	kubeapply create [-skip-existing] [-n NS] [-c N] FILE|- ...
//	    Create every object of the (multi-document) YAML or JSON files with POST. Never a
//	    client-side apply: the Chaos Mesh schedules/workflows CRDs are larger than the
//	    last-applied annotation allows. A 409 is an error unless -skip-existing.
//	kubeapply wait-established [-timeout D] FILE ...
//	    Wait until every CRD in the files is Established and its resource is served.
//	kubeapply wait-running [-timeout D] -n NS -count N [-l SELECTOR]
//	    Wait until at least N pods in NS (matching SELECTOR) are Running and Ready; prints
//	    the elapsed time.
//	kubeapply get PATH
//	    GET an API path and print the JSON body (exit 1 on a non-2xx status).
//
// Exit status: 0 ok, 1 API or timeout error, 2 usage error.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sigs.k8s.io/yaml"
)

type kubeconfig struct {
	CurrentContext string `json:"current-context"`
	Clusters       []struct {
		Name    string `json:"name"`
		Cluster struct {
			Server                   string `json:"server"`
			CertificateAuthorityData string `json:"certificate-authority-data"`
			CertificateAuthority     string `json:"certificate-authority"`
			InsecureSkipTLSVerify    bool   `json:"insecure-skip-tls-verify"`
		} `json:"cluster"`
	} `json:"clusters"`
	Users []struct {
		Name string `json:"name"`
		User struct {
			Token     string `json:"token"`
			TokenFile string `json:"tokenFile"`
		} `json:"user"`
	} `json:"users"`
	Contexts []struct {
		Name    string `json:"name"`
		Context struct {
			Cluster string `json:"cluster"`
			User    string `json:"user"`
		} `json:"context"`
	} `json:"contexts"`
}

type client struct {
	server string
	token  string
	http   *http.Client
}

// apiError is a non-2xx answer of the API server.
type apiError struct {
	Method, Path string
	Code         int
	Reason       string
	Message      string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Code, e.Reason, e.Message)
}

func loadClient(path string) (*client, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(raw, &kc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(kc.Contexts) == 0 || len(kc.Clusters) == 0 || len(kc.Users) == 0 {
		return nil, fmt.Errorf("%s: need a context, a cluster and a user", path)
	}
	ctx := kc.Contexts[0].Context
	for _, c := range kc.Contexts {
		if c.Name == kc.CurrentContext {
			ctx = c.Context
		}
	}
	c := &client{}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	for _, cl := range kc.Clusters {
		if cl.Name != ctx.Cluster {
			continue
		}
		c.server = strings.TrimRight(cl.Cluster.Server, "/")
		var pem []byte
		switch {
		case cl.Cluster.CertificateAuthorityData != "":
			pem, err = base64.StdEncoding.DecodeString(cl.Cluster.CertificateAuthorityData)
		case cl.Cluster.CertificateAuthority != "":
			pem, err = os.ReadFile(cl.Cluster.CertificateAuthority)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: CA: %w", path, err)
		}
		if pem != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%s: no certificate in CA data", path)
			}
			tlsConf.RootCAs = pool
		}
		tlsConf.InsecureSkipVerify = cl.Cluster.InsecureSkipTLSVerify
	}
	for _, u := range kc.Users {
		if u.Name != ctx.User {
			continue
		}
		c.token = u.User.Token
		if u.User.TokenFile != "" {
			t, err := os.ReadFile(u.User.TokenFile)
			if err != nil {
				return nil, err
			}
			c.token = strings.TrimSpace(string(t))
		}
	}
	if c.server == "" {
		return nil, fmt.Errorf("%s: no server for context cluster %q", path, ctx.Cluster)
	}
	c.http = &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     tlsConf,
			MaxIdleConnsPerHost: 64,
			// Loopback only: never consult proxy variables.
			Proxy: nil,
		},
	}
	return c, nil
}

func (c *client) do(method, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequest(method, c.server+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{Method: method, Path: path, Code: resp.StatusCode, Message: strings.TrimSpace(string(out))}
		var st struct{ Reason, Message string }
		if json.Unmarshal(out, &st) == nil && st.Message != "" {
			e.Reason, e.Message = st.Reason, st.Message
		}
		return out, e
	}
	return out, nil
}

func isCode(err error, code int) bool {
	var e *apiError
	return errors.As(err, &e) && e.Code == code
}

// resourceInfo is what discovery tells about a kind.
type resourceInfo struct {
	name       string
	namespaced bool
}

type discovery struct {
	c     *client
	mu    sync.Mutex
	cache map[string]map[string]resourceInfo // groupVersion -> kind -> info
}

func (d *discovery) lookup(apiVersion, kind string, refresh bool) (resourceInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	kinds, ok := d.cache[apiVersion]
	if !ok || refresh {
		path := "/apis/" + apiVersion
		if !strings.Contains(apiVersion, "/") {
			path = "/api/" + apiVersion
		}
		body, err := d.c.do("GET", path, nil)
		if err != nil {
			return resourceInfo{}, err
		}
		var list struct {
			Resources []struct {
				Name       string `json:"name"`
				Kind       string `json:"kind"`
				Namespaced bool   `json:"namespaced"`
			} `json:"resources"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return resourceInfo{}, err
		}
		kinds = map[string]resourceInfo{}
		for _, r := range list.Resources {
			if !strings.Contains(r.Name, "/") {
				kinds[r.Kind] = resourceInfo{name: r.Name, namespaced: r.Namespaced}
			}
		}
		d.cache[apiVersion] = kinds
	}
	info, ok := kinds[kind]
	if !ok {
		return resourceInfo{}, fmt.Errorf("kind %s is not served in %s", kind, apiVersion)
	}
	return info, nil
}

func (d *discovery) collectionPath(obj map[string]any, defaultNS string) (string, string, error) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if apiVersion == "" || kind == "" {
		return "", "", errors.New("object without apiVersion/kind")
	}
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if name == "" {
		name, _ = meta["generateName"].(string)
	}
	info, err := d.lookup(apiVersion, kind, false)
	if err != nil {
		// A CRD created a moment ago may not be in our cached discovery yet.
		if info, err = d.lookup(apiVersion, kind, true); err != nil {
			return "", "", err
		}
	}
	prefix := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		prefix = "/api/" + apiVersion
	}
	desc := strings.ToLower(kind) + "/" + name
	if !info.namespaced {
		return prefix + "/" + info.name, desc, nil
	}
	ns, _ := meta["namespace"].(string)
	if ns == "" {
		ns = defaultNS
	}
	if meta == nil {
		meta = map[string]any{}
		obj["metadata"] = meta
	}
	meta["namespace"] = ns
	return prefix + "/namespaces/" + url.PathEscape(ns) + "/" + info.name, ns + "/" + desc, nil
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// readObjects returns every non-empty document of the files ("-" is stdin), expanding
// kind: List.
func readObjects(files []string) ([]map[string]any, error) {
	var objs []map[string]any
	for _, f := range files {
		var raw []byte
		var err error
		if f == "-" {
			raw, err = io.ReadAll(os.Stdin)
		} else {
			raw, err = os.ReadFile(f)
		}
		if err != nil {
			return nil, err
		}
		for i, doc := range docSep.Split(string(raw), -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", f, i+1, err)
			}
			if obj == nil {
				continue
			}
			if items, ok := obj["items"].([]any); ok && strings.HasSuffix(fmt.Sprint(obj["kind"]), "List") {
				for _, it := range items {
					if m, ok := it.(map[string]any); ok {
						objs = append(objs, m)
					}
				}
				continue
			}
			objs = append(objs, obj)
		}
	}
	return objs, nil
}

func cmdCreate(c *client, args []string) error {
	fs := flag.NewFlagSet("create", flag.ExitOnError)
	skip := fs.Bool("skip-existing", false, "treat 409 AlreadyExists as success")
	ns := fs.String("n", "default", "namespace for namespaced objects without one")
	conc := fs.Int("c", 1, "number of concurrent requests")
	quiet := fs.Bool("q", false, "print only a summary")
	_ = fs.Parse(args)
	if fs.NArg() == 0 {
		return usageError("create needs at least one file (or -)")
	}
	objs, err := readObjects(fs.Args())
	if err != nil {
		return err
	}
	d := &discovery{c: c, cache: map[string]map[string]resourceInfo{}}
	var created, existed, failed atomic.Int64
	var firstErr error
	var errMu sync.Mutex // guards firstErr
	work := make(chan map[string]any)
	var wg sync.WaitGroup
	if *conc < 1 {
		*conc = 1
	}
	start := time.Now()
	for i := 0; i < *conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for obj := range work {
				path, desc, err := d.collectionPath(obj, *ns)
				if err == nil {
					body, _ := json.Marshal(obj)
					_, err = c.do("POST", path, body)
				}
				switch {
				case err == nil:
					created.Add(1)
					if !*quiet {
						fmt.Printf("%s created\n", desc)
					}
				case *skip && isCode(err, http.StatusConflict):
					existed.Add(1)
					if !*quiet {
						fmt.Printf("%s already exists\n", desc)
					}
				default:
					failed.Add(1)
					fmt.Fprintf(os.Stderr, "kubeapply: %s: %v\n", desc, err)
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
				}
			}
		}()
	}
	for _, o := range objs {
		work <- o
	}
	close(work)
	wg.Wait()
	if *quiet || failed.Load() > 0 {
		fmt.Printf("kubeapply: %d created, %d already existed, %d failed in %.2fs\n",
			created.Load(), existed.Load(), failed.Load(), time.Since(start).Seconds())
	}
	if firstErr != nil {
		return fmt.Errorf("%d of %d object(s) failed", failed.Load(), len(objs))
	}
	return nil
}

func cmdWaitEstablished(c *client, args []string) error {
	fs := flag.NewFlagSet("wait-established", flag.ExitOnError)
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
	_ = fs.Parse(args)
	objs, err := readObjects(fs.Args())
	if err != nil {
		return err
	}
	deadline := time.Now().Add(*timeout)
	for _, o := range objs {
		if o["kind"] != "CustomResourceDefinition" {
			continue
		}
		name := o["metadata"].(map[string]any)["name"].(string)
		spec, _ := o["spec"].(map[string]any)
		group, _ := spec["group"].(string)
		plural, _ := spec["names"].(map[string]any)["plural"].(string)
		var version string
		if vs, ok := spec["versions"].([]any); ok {
			for _, v := range vs {
				vm, _ := v.(map[string]any)
				if served, _ := vm["served"].(bool); served {
					version, _ = vm["name"].(string)
					break
				}
			}
		}
		for {
			listPath := ""
			if version != "" {
				listPath = "/apis/" + group + "/" + version + "/" + plural
			}
			ok, why := crdReady(c, name, listPath)
			if ok {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s not ready after %s: %s", name, *timeout, why)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

func crdReady(c *client, name, listPath string) (bool, string) {
	body, err := c.do("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"+name, nil)
	if err != nil {
		return false, err.Error()
	}
	var crd struct {
		Status struct {
			Conditions []struct{ Type, Status, Message string } `json:"conditions"`
		} `json:"status"`
	}
	if err := json.Unmarshal(body, &crd); err != nil {
		return false, err.Error()
	}
	established := false
	for _, cond := range crd.Status.Conditions {
		if cond.Type == "Established" && cond.Status == "True" {
			established = true
		}
		if cond.Type == "NamesAccepted" && cond.Status == "False" {
			return false, "NamesAccepted=False: " + cond.Message
		}
	}
	if !established {
		return false, "not Established yet"
	}
	if listPath == "" {
		return true, ""
	}
	if _, err := c.do("GET", listPath+"?limit=1", nil); err != nil {
		return false, "Established but not served yet: " + err.Error()
	}
	return true, ""
}

func cmdWaitRunning(c *client, args []string) error {
	fs := flag.NewFlagSet("wait-running", flag.ExitOnError)
	timeout := fs.Duration("timeout", 120*time.Second, "give up after this long")
	ns := fs.String("n", "default", "namespace")
	count := fs.Int("count", 1, "number of pods that must be Running and Ready")
	selector := fs.String("l", "", "label selector")
	_ = fs.Parse(args)
	start := time.Now()
	deadline := start.Add(*timeout)
	q := url.Values{}
	if *selector != "" {
		q.Set("labelSelector", *selector)
	}
	path := "/api/v1/namespaces/" + url.PathEscape(*ns) + "/pods?" + q.Encode()
	last := -1
	for {
		body, err := c.do("GET", path, nil)
		ready := 0
		if err == nil {
			var list struct {
				Items []struct {
					Status struct {
						Phase      string                          `json:"phase"`
						Conditions []struct{ Type, Status string } `json:"conditions"`
					} `json:"status"`
				} `json:"items"`
			}
			if err = json.Unmarshal(body, &list); err == nil {
				for _, p := range list.Items {
					if p.Status.Phase != "Running" {
						continue
					}
					for _, cond := range p.Status.Conditions {
						if cond.Type == "Ready" && cond.Status == "True" {
							ready++
						}
					}
				}
			}
		}
		if ready != last {
			fmt.Printf("kubeapply: %6.2fs %d/%d pods Running+Ready\n", time.Since(start).Seconds(), ready, *count)
			last = ready
		}
		if ready >= *count {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("timed out after %s with %d/%d ready; last error: %w", *timeout, ready, *count, err)
			}
			return fmt.Errorf("timed out after %s with %d/%d ready", *timeout, ready, *count)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

type usageError string

func (u usageError) Error() string { return string(u) }

func main() {
	kubeconfigPath := os.Getenv("KUBECONFIG")
	args := os.Args[1:]
	if len(args) >= 2 && (args[0] == "-kubeconfig" || args[0] == "--kubeconfig") {
		kubeconfigPath, args = args[1], args[2:]
	}
	if len(args) == 0 || kubeconfigPath == "" {
		fmt.Fprintln(os.Stderr, "usage: kubeapply [--kubeconfig FILE] create|wait-established|wait-running|get ... (or set KUBECONFIG)")
		os.Exit(2)
	}
	c, err := loadClient(kubeconfigPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeapply:", err)
		os.Exit(2)
	}
	switch args[0] {
	case "create":
		err = cmdCreate(c, args[1:])
	case "wait-established":
		err = cmdWaitEstablished(c, args[1:])
	case "wait-running":
		err = cmdWaitRunning(c, args[1:])
	case "get":
		if len(args) != 2 {
			err = usageError("get needs one API path")
			break
		}
		var body []byte
		body, err = c.do("GET", args[1], nil)
		if err == nil {
			os.Stdout.Write(body)
			fmt.Println()
		}
	default:
		err = usageError("unknown command " + args[0])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeapply:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
