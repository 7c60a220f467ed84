// Package trees is mlserve's own tree learners: CART decision trees,
// Breiman's random forests and histogram gradient boosting, pure Go,
// measured against scikit-learn (BENCHMARKS.md).
//
// # Fitting
//
// Every learner encodes its training rows as learn.FitEncodings does
// (number features as themselves, string features one-hot: a column per
// level seen in training, a missing or unseen string none of them) and
// cuts every encoded column into at most 255 bins, a uint8 per value
// (binColumns): the split search sweeps per-bin statistics instead of
// sorting. Thresholds sit between neighbouring training values, so a split
// learned on bins is the same test on raw values.
//
//   - decision_tree (engine cart): one CART tree, binary splits on any
//     column any number of times on a path, by Gini impurity or entropy
//     (classes) or squared error, with max_depth, min_samples_split,
//     min_samples_leaf and max_features drawn anew for every split.
//   - random_forest (engine cart): Breiman's forest of such trees, each on
//     a bootstrap sample of the rows, max_features features per split
//     ("sqrt" of them for classes, all for numbers, as scikit-learn),
//     fitted in parallel; its out-of-bag score, and impurity-based feature
//     importances, come with it. Its leaves hold class shares, which the
//     trees average.
//   - gradient_boosting: LightGBM-style gradient boosting (scikit-learn's
//     HistGradientBoosting): trees grown best leaf first on gradient and
//     hessian histograms, a sibling's histogram the parent's less the
//     other child's; squared error, binary log-loss or softmax (a tree per
//     class per iteration); early stopping on a validation share of the
//     training rows; missing values learnt per split.
//
// Fits are deterministic for a seed: every tree draws from its own random
// stream, seeded from the fit's, whichever goroutine grows it.
//
// # Artifacts and predictors
//
// An artifact is learn's envelope (format "trees/1") and the trees in a
// compact binary payload (marshalPayload: every column's thresholds, then
// nodes naming a threshold by its index, leaves holding class counts),
// checked node by node when loaded (reader). forestModel.predict is the
// reference prediction; the served predictor (LoadPredictor) lays the
// trees out in one node array and walks eight trees at a time, with the
// reference's arithmetic in the reference's order, so the two agree bit
// for bit: 8-byte nodes over the row cut into its bins (binTrees), missing
// values included.
package trees
