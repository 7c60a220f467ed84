package golearn

import (
	"fmt"
	"os"
)

// viaTempFile returns the bytes save writes to a file path: golearn's
// Save functions (and liblinear's save_model) take paths, not writers.
func viaTempFile(save func(path string) error) ([]byte, error) {
	f, err := os.CreateTemp("", "mlserve-golearn-*")
	if err != nil {
		return nil, fmt.Errorf("create a temporary file for golearn: %w", err)
	}
	path := f.Name()
	defer os.Remove(path)
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", path, err)
	}
	if err := save(path); err != nil {
		return nil, fmt.Errorf("golearn save to %s: %w", path, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read golearn's saved model: %w", err)
	}
	return b, nil
}
