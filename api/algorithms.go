package api

import (
	"log/slog"
	"net/http"

	"gitlab.com/mlserve/mlserve/model"
)

// handleAlgorithms answers the training algorithms a train job may name,
// with their tasks, the features they take and their parameters, and how a
// train job's validation is read: its default and model.ValidationRule.
func handleAlgorithms(logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, logger, http.StatusOK, map[string]any{
			"algorithms": model.Catalog(),
			"validation": map[string]any{
				"default": model.ValidationSpec{Holdout: model.DefaultHoldout, Seed: model.DefaultSeed},
				"rule":    model.ValidationRule,
			},
		})
	})
}
