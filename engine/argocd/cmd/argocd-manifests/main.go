// argocd-manifests prints the objects Argo CD would apply from a folder of a directory Application,
// read by Argo CD's own code: the repo-server's repository.GenerateManifests at the pinned version (as
// `argocd app diff --local` calls it), with its walk of the folder (include and exclude globs,
// recursion, links inside the repository, the skip-rendering marker), its YAML and JSON decoding, its
// list expansion. The gate's differential test (test/engine/argocd-reader.engine.test.ts) compares it
// with what the gate reads.
//
//	argocd-manifests [-recurse] [-include GLOB] [-exclude GLOB] REPO PATH...   each PATH, a folder in REPO
//	argocd-manifests [flags] -each DIR REPO                                   each folder of DIR on its own
//
// One JSON line per folder: {"path", "objects": [...], "error"}.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	log "github.com/sirupsen/logrus"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/reposerver/apiclient"
	"github.com/argoproj/argo-cd/v3/reposerver/repository"
	"github.com/argoproj/argo-cd/v3/util/git"
)

type result struct {
	Path    string        `json:"path"`
	Objects []interface{} `json:"objects"`
	Error   string        `json:"error,omitempty"`
}

func generate(repo, dir string, directory v1alpha1.ApplicationSourceDirectory) result {
	r := result{Path: dir, Objects: []interface{}{}}
	rel, err := filepath.Rel(repo, dir)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	source := v1alpha1.ApplicationSource{Path: rel, Directory: &directory}
	res, err := repository.GenerateManifests(context.Background(), dir, repo, "", &apiclient.ManifestRequest{
		Repo:              &v1alpha1.Repository{},
		AppName:           "gate-differential",
		ApplicationSource: &source,
	}, true, &git.NoopCredsStore{}, resource.MustParse("0"), nil)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	for _, m := range res.Manifests {
		var obj interface{}
		if err := json.Unmarshal([]byte(m), &obj); err != nil {
			r.Error = err.Error()
			return r
		}
		r.Objects = append(r.Objects, obj)
	}
	return r
}

func main() {
	recurse := flag.Bool("recurse", false, "directory.recurse")
	include := flag.String("include", "", "directory.include")
	exclude := flag.String("exclude", "", "directory.exclude")
	each := flag.String("each", "", "generate each folder of this folder on its own")
	flag.Parse()
	args := flag.Args()
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: argocd-manifests [-recurse] [-include GLOB] [-exclude GLOB] [-each DIR] REPO [PATH...]")
		os.Exit(2)
	}
	log.SetOutput(io.Discard) // the repo-server logs skipped files; the output says what was applied
	repo, paths := args[0], args[1:]
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
	directory := v1alpha1.ApplicationSourceDirectory{Recurse: *recurse, Include: *include, Exclude: *exclude}
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	for _, p := range paths {
		if err := out.Encode(generate(repo, p, directory)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(70)
		}
	}
}
