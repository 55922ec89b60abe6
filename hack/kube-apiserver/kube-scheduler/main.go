// Command kube-scheduler is the upstream scheduler, from the same k8s.io/kubernetes module
// (go.mod one folder up) as our kube-apiserver. scripts/cluster-up.sh runs it on 127.0.0.1;
// it binds pods to the kwok nodes, which then play their kubelet.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-scheduler/app"
)

func main() {
	os.Exit(cli.Run(app.NewSchedulerCommand()))
}
