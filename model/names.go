package model

import "regexp"

// namePattern is what model names and aliases may look like: they appear in
// URLs, metric labels and file names, so they stay short and plain.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)

// ValidName reports whether s can name a model or an alias.
func ValidName(s string) bool {
	return namePattern.MatchString(s)
}

// Algorithms lists the names of the training algorithms, in catalog order.
func Algorithms() []string {
	var names []string
	for _, a := range Catalog() {
		names = append(names, a.Name)
	}
	return names
}

// KnownAlgorithm reports whether name is an algorithm of the catalog.
func KnownAlgorithm(name string) bool {
	_, ok := LookupAlgorithm(name)
	return ok
}
