// compose-validate checks Compose files against the Compose Specification's JSON Schema, as
// published with compose-go (the loader Docker Compose itself uses). No Docker engine needed.
//
// Usage: compose-validate FILE...   (exit 1 and one line per file that does not validate)
package main

import (
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/schema"
	"gopkg.in/yaml.v3"
)

func validate(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var document map[string]any
	if err := yaml.Unmarshal(raw, &document); err != nil {
		return fmt.Errorf("not YAML: %w", err)
	}
	return schema.Validate(document)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-validate FILE...")
		os.Exit(2)
	}
	failed := false
	for _, path := range os.Args[1:] {
		if err := validate(path); err != nil {
			fmt.Printf("%s: %v\n", path, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
