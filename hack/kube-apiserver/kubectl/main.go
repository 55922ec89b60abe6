// Command kubectl is the upstream kubectl at the staging version that matches our
// k8s.io/kubernetes (go.mod one folder up). The cluster scripts and tests use it instead of a
// client of our own, so that what they prove is what a user's `kubectl` does.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err)
	}
}
