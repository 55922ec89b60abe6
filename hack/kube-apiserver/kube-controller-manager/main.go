// Command kube-controller-manager is the upstream controller manager, from the same
// k8s.io/kubernetes module (go.mod one folder up) as our kube-apiserver, so that both speak
// exactly the same API. scripts/cluster-up.sh runs it on 127.0.0.1 with the controllers the
// cluster tests need (namespace deletion, garbage collection, Deployments, Jobs, CronJobs,
// ServiceAccounts and their tokens).
package main

import (
	"os"
	_ "time/tzdata" // CronJob's spec.timeZone needs the zone database even without one on the host

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
