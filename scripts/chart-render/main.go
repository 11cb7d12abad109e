// chart-render renders a Helm chart's templates without helm: Go text/template + Sprig, plus the
// few Helm built-ins our chart uses (include, tpl, toYaml, required, lookup) and the objects
// .Values, .Release, .Chart, .Capabilities, .Template and a small .Files. It exists so that the
// chart can be tested on machines with no helm binary (see README.md beside it).
//
// Usage: chart-render [-f values.yaml]... [--release NAME] [--namespace NS] [--kube-version vX.Y.Z] [--notes] CHART_DIR
// Writes a multi-document YAML stream to stdout; exits 1 with the template error otherwise.
package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type valueFiles []string

func (v *valueFiles) String() string     { return strings.Join(*v, ",") }
func (v *valueFiles) Set(s string) error { *v = append(*v, s); return nil }

// files is .Files: reads chart files by path relative to the chart root.
type files struct{ root string }

func (f files) Get(name string) string {
	b, err := os.ReadFile(filepath.Join(f.root, filepath.Clean("/"+name)))
	if err != nil {
		return ""
	}
	return string(b)
}

func readYAML(path string) (map[string]interface{}, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// mergeValues merges src into dst like helm -f: maps recursively, other values replaced, null deletes.
func mergeValues(dst, src map[string]interface{}) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			mergeValues(dm, sm)
		} else {
			dst[k] = v
		}
	}
}

func toYAML(v interface{}) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func isEmpty(v interface{}) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []interface{}:
		return len(x) == 0
	case map[string]interface{}:
		return len(x) == 0
	}
	return false
}

func run() error {
	var vals valueFiles
	release := flag.String("release", "gyre", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	notes := flag.Bool("notes", false, "render NOTES.txt instead of the manifests")
	kubeVersion := flag.String("kube-version", "v1.20.2", "the cluster's version (.Capabilities.KubeVersion), like helm template --kube-version")
	flag.Var(&vals, "f", "values file (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		return errors.New("usage: chart-render [-f values.yaml]... [--release NAME] [--namespace NS] [--kube-version vX.Y.Z] [--notes] CHART_DIR")
	}
	chartDir := flag.Arg(0)
	versionParts := strings.SplitN(strings.TrimPrefix(*kubeVersion, "v"), ".", 3)
	if len(versionParts) < 2 {
		return fmt.Errorf("--kube-version %q: expected vMAJOR.MINOR.PATCH", *kubeVersion)
	}
	major, minor := versionParts[0], versionParts[1]

	chartMeta, err := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	chartName, _ := chartMeta["name"].(string)
	values, err := readYAML(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, f := range vals {
		extra, err := readYAML(f)
		if err != nil {
			return err
		}
		mergeValues(values, extra)
	}

	root := template.New("chart")
	funcs := sprig.TxtFuncMap()
	// Helm removes these for safety; so do we, so that a chart that works here works there.
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf strings.Builder
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		if t, err = t.New("tpl").Parse(text); err != nil {
			return "", err
		}
		var buf strings.Builder
		err = t.Execute(&buf, data)
		return buf.String(), err
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if isEmpty(v) {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	// Like `helm template`: there is no cluster, so every lookup finds nothing.
	funcs["lookup"] = func(apiVersion, kind, namespace, name string) map[string]interface{} {
		return map[string]interface{}{}
	}
	funcs["sha256sum"] = func(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s))) }
	root.Funcs(funcs).Option("missingkey=zero")

	tplDir := filepath.Join(chartDir, "templates")
	entries, err := os.ReadDir(tplDir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(tplDir, e.Name()))
		if err != nil {
			return err
		}
		name := chartName + "/templates/" + e.Name()
		if _, err := root.New(name).Parse(string(b)); err != nil {
			return err
		}
		names = append(names, name)
	}
	sort.Strings(names)

	data := func(name string) map[string]interface{} {
		return map[string]interface{}{
			"Values":  values,
			"Release": map[string]interface{}{"Name": *release, "Namespace": *namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
			"Chart": map[string]interface{}{
				"Name": chartName, "Version": chartMeta["version"], "AppVersion": chartMeta["appVersion"], "Description": chartMeta["description"],
			},
			"Capabilities": map[string]interface{}{"KubeVersion": map[string]interface{}{"Version": *kubeVersion, "Major": major, "Minor": minor}},
			"Template":     map[string]interface{}{"Name": name, "BasePath": chartName + "/templates"},
			"Files":        files{root: chartDir},
		}
	}

	var out strings.Builder
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") || (base == "NOTES.txt") != *notes {
			continue
		}
		var buf strings.Builder
		if err := root.ExecuteTemplate(&buf, name, data(name)); err != nil {
			return err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(text) == "" {
			continue
		}
		if *notes {
			out.WriteString(text)
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, strings.TrimSpace(text))
	}
	_, err = os.Stdout.WriteString(out.String())
	return err
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "chart-render:", err)
		os.Exit(1)
	}
}
