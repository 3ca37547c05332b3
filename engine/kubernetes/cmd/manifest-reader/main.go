// manifest-reader prints the objects kubectl would apply from files, read by kubectl's own code
// (k8s.io/cli-runtime's resource.Builder, as `kubectl apply -R -f PATH` builds it, without a server):
// its walk of folders, its YAML and JSON decoders, its list flattening. The gate's differential test
// (test/engine/manifest-reader.engine.test.ts) compares it with what the gate reads.
//
//	manifest-reader PATH...        each PATH as `kubectl apply -R -f PATH` reads it
//	manifest-reader -each DIR      each file of DIR on its own (a fuzz corpus)
//
// One JSON line per PATH (or file): {"path", "objects": [{"source", "object"}], "error"}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/resource"
)

type sourced struct {
	Source string      `json:"source"`
	Object interface{} `json:"object"`
}

type result struct {
	Path    string    `json:"path"`
	Objects []sourced `json:"objects"`
	Error   string    `json:"error,omitempty"`
}

func read(path string) result {
	r := result{Path: path, Objects: []sourced{}}
	err := resource.NewLocalBuilder().
		Unstructured().
		ContinueOnError().
		FilenameParam(false, &resource.FilenameOptions{Filenames: []string{path}, Recursive: true}).
		Flatten().
		Do().
		Visit(func(info *resource.Info, err error) error {
			if err != nil {
				return err
			}
			u, e := runtime.DefaultUnstructuredConverter.ToUnstructured(info.Object)
			if e != nil {
				return e
			}
			r.Objects = append(r.Objects, sourced{Source: info.Source, Object: u})
			return nil
		})
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

func main() {
	each := flag.String("each", "", "read each file of this folder on its own")
	flag.Parse()
	paths := flag.Args()
	if *each != "" {
		entries, err := os.ReadDir(*each)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		for _, e := range entries {
			paths = append(paths, filepath.Join(*each, e.Name()))
		}
		sort.Strings(paths)
	}
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	for _, p := range paths {
		if err := out.Encode(read(p)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(70)
		}
	}
}
