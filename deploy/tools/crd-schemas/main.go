// crd-schemas turns CustomResourceDefinition manifests into the JSON schemas kubeconform reads:
// one file <out>/<group>/<kind>_<version>.json per served version, in "strict" form (objects that
// declare properties reject unknown ones, as the API server's field validation does), except where
// the CRD says x-kubernetes-preserve-unknown-fields.
//
// Usage: go run . OUT_DIR CRD.yaml... (see generate.sh, which produces the CRDs with controller-gen
// from the prometheus-operator Go API types pinned in go.mod).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	// The API types controller-gen reads; imported so that go.mod pins their version.
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"
)

type crd struct {
	Kind string `json:"kind"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
			Schema struct {
				OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// strict adds additionalProperties: false to every object schema that lists properties and says
// nothing about additional ones, like kubeconform's openapi2jsonschema does.
func strict(node any) {
	switch n := node.(type) {
	case map[string]any:
		if _, hasProps := n["properties"]; hasProps {
			_, hasAdditional := n["additionalProperties"]
			preserve, _ := n["x-kubernetes-preserve-unknown-fields"].(bool)
			if !hasAdditional && !preserve {
				n["additionalProperties"] = false
			}
		}
		for _, v := range n {
			strict(v)
		}
	case []any:
		for _, v := range n {
			strict(v)
		}
	}
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: crd-schemas OUT_DIR CRD.yaml...")
		os.Exit(2)
	}
	out := os.Args[1]
	for _, file := range os.Args[2:] {
		raw, err := os.ReadFile(file)
		if err != nil {
			fail(err)
		}
		var c crd
		if err := yaml.Unmarshal(raw, &c); err != nil {
			fail(fmt.Errorf("%s: %w", file, err))
		}
		if c.Kind != "CustomResourceDefinition" {
			fail(fmt.Errorf("%s: not a CustomResourceDefinition", file))
		}
		for _, v := range c.Spec.Versions {
			if !v.Served || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			schema := v.Schema.OpenAPIV3Schema
			strict(schema)
			schema["$schema"] = "http://json-schema.org/draft-07/schema#"
			body, err := json.MarshalIndent(schema, "", "  ")
			if err != nil {
				fail(err)
			}
			dir := filepath.Join(out, c.Spec.Group)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				fail(err)
			}
			name := filepath.Join(dir, strings.ToLower(c.Spec.Names.Kind)+"_"+v.Name+".json")
			if err := os.WriteFile(name, append(body, '\n'), 0o644); err != nil {
				fail(err)
			}
			fmt.Println("wrote", name)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "crd-schemas:", err)
	os.Exit(1)
}
