// kubelet-expand prints containers' command and args as the kubelet runs them: each `$(NAME)`
// expanded by Kubernetes' own expansion package (third_party/forked/golang/expansion, the one
// pkg/kubelet/container.ExpandContainerCommandAndArgs calls), with the container's variables set as
// pkg/kubelet/kubelet_pods.go makeEnvironmentVariables sets them from the pod's namespace: envFrom
// ConfigMaps first (keys checked with apimachinery's IsEnvVarName), then env in order, a literal value
// expanded with the variables before it, a configMapKeyRef read from the ConfigMaps given. The gate's
// differential test (test/engine/kubelet-expansion.engine.test.ts) compares it with the policy's reading.
//
//	kubelet-expand < cases.json
//
// Reads a JSON array of {"container": core/v1 Container, "configMaps": [core/v1 ConfigMap]} (the
// namespace's ConfigMaps: one not given does not exist); prints a JSON array of {"command", "args"},
// or {"error"} where the kubelet would not start the container (a ConfigMap or key it needs is missing).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	v1 "k8s.io/api/core/v1"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/kubernetes/third_party/forked/golang/expansion"
)

type input struct {
	Container  v1.Container   `json:"container"`
	ConfigMaps []v1.ConfigMap `json:"configMaps"`
}

type expanded struct {
	Command []string `json:"command"`
	Args    []string `json:"args"`
	Error   string   `json:"error,omitempty"`
}

func main() {
	var cases []input
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fmt.Fprintln(os.Stderr, "kubelet-expand:", err)
		os.Exit(2)
	}
	out := make([]expanded, 0, len(cases))
	for _, c := range cases {
		configMaps := map[string]*v1.ConfigMap{}
		for i := range c.ConfigMaps {
			configMaps[c.ConfigMaps[i].Name] = &c.ConfigMaps[i]
		}
		env, err := environment(&c.Container, configMaps)
		if err != nil {
			out = append(out, expanded{Error: err.Error()})
			continue
		}
		// pkg/kubelet/container/helpers.go ExpandContainerCommandAndArgs.
		mapping := expansion.MappingFuncFor(env)
		result := expanded{Command: []string{}, Args: []string{}}
		for _, cmd := range c.Container.Command {
			result.Command = append(result.Command, expansion.Expand(cmd, mapping))
		}
		for _, arg := range c.Container.Args {
			result.Args = append(result.Args, expansion.Expand(arg, mapping))
		}
		out = append(out, result)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "kubelet-expand:", err)
		os.Exit(1)
	}
}

// environment is makeEnvironmentVariables (pkg/kubelet/kubelet_pods.go at the pinned version) for
// ConfigMaps and literal values, step by step; service links, Secrets and fields are not generated
// by the test (the gate leaves those unresolved by design).
func environment(container *v1.Container, configMaps map[string]*v1.ConfigMap) (map[string]string, error) {
	tmpEnv := map[string]string{}
	for _, envFrom := range container.EnvFrom {
		if envFrom.ConfigMapRef == nil {
			continue
		}
		cm := envFrom.ConfigMapRef
		configMap, ok := configMaps[cm.Name]
		if !ok {
			if cm.Optional != nil && *cm.Optional {
				continue
			}
			return nil, fmt.Errorf("configmap %q not found", cm.Name)
		}
		for k, v := range configMap.Data {
			if len(envFrom.Prefix) > 0 {
				k = envFrom.Prefix + k
			}
			if errMsgs := utilvalidation.IsEnvVarName(k); len(errMsgs) != 0 {
				continue
			}
			tmpEnv[k] = v
		}
	}
	mappingFunc := expansion.MappingFuncFor(tmpEnv)
	for _, envVar := range container.Env {
		runtimeVal := envVar.Value
		if runtimeVal != "" {
			runtimeVal = expansion.Expand(runtimeVal, mappingFunc)
		} else if envVar.ValueFrom != nil && envVar.ValueFrom.ConfigMapKeyRef != nil {
			cm := envVar.ValueFrom.ConfigMapKeyRef
			optional := cm.Optional != nil && *cm.Optional
			configMap, ok := configMaps[cm.Name]
			if !ok {
				if optional {
					continue
				}
				return nil, fmt.Errorf("configmap %q not found", cm.Name)
			}
			runtimeVal, ok = configMap.Data[cm.Key]
			if !ok {
				if optional {
					continue
				}
				return nil, fmt.Errorf("couldn't find key %v in ConfigMap %v", cm.Key, cm.Name)
			}
		}
		tmpEnv[envVar.Name] = runtimeVal
	}
	return tmpEnv, nil
}
