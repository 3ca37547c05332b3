// kubelet-expand prints containers' command and args as the kubelet runs them: each `$(NAME)`
// expanded by Kubernetes' own expansion package (third_party/forked/golang/expansion, the one
// pkg/kubelet/container.ExpandContainerCommandAndArgs calls), with the variables of the container's
// env set as the kubelet's makeEnvironmentVariables sets literal values: in order, each value
// expanded with the variables before it. The gate's differential test
// (test/engine/kubelet-expansion.engine.test.ts) compares it with the policy's reading.
//
//	kubelet-expand < containers.json
//
// Reads a JSON array of {"command", "args", "env": [{"name", "value"}]}; prints a JSON array of
// {"command", "args"}.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"k8s.io/kubernetes/third_party/forked/golang/expansion"
)

type envVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type container struct {
	Command []string `json:"command"`
	Args    []string `json:"args"`
	Env     []envVar `json:"env"`
}

type expanded struct {
	Command []string `json:"command"`
	Args    []string `json:"args"`
}

func main() {
	var containers []container
	if err := json.NewDecoder(os.Stdin).Decode(&containers); err != nil {
		fmt.Fprintln(os.Stderr, "kubelet-expand:", err)
		os.Exit(2)
	}
	out := make([]expanded, 0, len(containers))
	for _, c := range containers {
		// pkg/kubelet/kubelet_pods.go makeEnvironmentVariables, step 1a (no service variables).
		tmpEnv := map[string]string{}
		mappingFunc := expansion.MappingFuncFor(tmpEnv)
		for _, e := range c.Env {
			runtimeVal := e.Value
			if runtimeVal != "" {
				runtimeVal = expansion.Expand(runtimeVal, mappingFunc)
			}
			tmpEnv[e.Name] = runtimeVal
		}
		// pkg/kubelet/container/helpers.go ExpandContainerCommandAndArgs.
		mapping := expansion.MappingFuncFor(tmpEnv)
		result := expanded{Command: []string{}, Args: []string{}}
		for _, cmd := range c.Command {
			result.Command = append(result.Command, expansion.Expand(cmd, mapping))
		}
		for _, arg := range c.Args {
			result.Args = append(result.Args, expansion.Expand(arg, mapping))
		}
		out = append(out, result)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "kubelet-expand:", err)
		os.Exit(1)
	}
}
