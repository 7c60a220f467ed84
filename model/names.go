package model

import (
	"regexp"
	"slices"
)

// namePattern is what model names and aliases may look like: they appear in
// URLs, metric labels and file names, so they stay short and plain.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)

// ValidName reports whether s can name a model or an alias.
func ValidName(s string) bool {
	return namePattern.MatchString(s)
}

// Algorithms lists the training algorithms mlserve knows.
func Algorithms() []string {
	return []string{
		"random_forest",
		"decision_tree",
		"knn",
		"logistic_regression",
		"linear_regression",
		"naive_bayes",
	}
}

// KnownAlgorithm reports whether name is one of Algorithms.
func KnownAlgorithm(name string) bool {
	return slices.Contains(Algorithms(), name)
}
