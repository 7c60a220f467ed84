// Package golearn trains and loads the models of golearn's engine with
// github.com/sjwhitworth/golearn: random_forest and decision_tree with
// engine golearn (ID3 trees), knn (classes and numbers), logistic and
// linear regression, naive_bayes of kind bernoulli. It is the only package
// that imports golearn, and with it cgo (golearn's liblinear binding).
//
// Learner gives internal/learn's trainer this package's learners; Load
// reads back the artifacts they write (and every earlier release wrote), and (*Model).Predict is the reference predictor: pure Go over
// the stored state, tested to predict as golearn's own Predict does.
// PredictorLoader implements model.PredictorLoader: it compiles a loaded
// model into the predictor that serves it, allocation-free and tested to
// predict exactly as the reference.
//
// # golearn, and what this package does around it
//
// golearn fits: its ID3 induction and pruning (trees.InferID3Tree,
// DecisionTreeNode.Prune), liblinear's logistic regression
// (linear_models.Train) and its Bernoulli naive Bayes
// (naive.BernoulliNBClassifier); KNN ranks by its distance functions
// (metrics/pairwise). The artifact stores golearn's own serialization
// where one exists (the tree JSON, liblinear's model file, naive Bayes's
// saved file). The pinned golearn is not deterministic, and is wrong in
// places; measured and worked around here:
//
//   - Its split rules sum entropies in map-iteration order over rows
//     (InstancesView.MapOverRows) and attributes
//     (AttributeDifferenceReferences), so equally good splits win at
//     random: 30 fits of house-votes gave 30 different trees. splitRule is
//     a trees.RuleGenerator computing golearn's criteria in a fixed order
//     (and without the index bug of golearn's threshold sweep).
//   - Its RandomForest fits trees in goroutines drawing from the global
//     math/rand (which Go 1.24+ will not seed), and its bootstrap views
//     are ignored by MapOverRows; the forest here is golearn ID3 trees
//     fitted one after another from a seeded generator.
//   - Ties (a node's majority class, a vote) go to the first class in
//     class order, not map order; KNN ranks and votes itself for that
//     reason (golearn's KNNClassifier.Predict breaks ties in map order).
//   - Its LinearRegression takes its columns in map order, which moves
//     the last bits of the coefficients from fit to fit, and cannot be
//     saved: linear regression runs golearn's algorithm (gonum QR) in
//     feature order and stores the coefficients itself.
//   - Its LogisticRegression hides the fitted model and predicts through
//     a conversion that drops non-positive values; liblinear is called
//     through golearn's lower-level linear_models.Train, with an
//     intercept column golearn omits.
//
// String features are one-hot encoded (one 0/1 column per value seen in
// the training rows), even for the trees, which golearn could split on
// categorical attributes directly: its categorical entropy is summed in
// map order, and a value a node never saw is sent to a child chosen in
// map order. Naive Bayes sees only binary features: string features
// one-hot, number features cut into equal-width bins. Linear regression
// takes number features only.
//
// # Process-wide state
//
// Training touches three process-wide things, which is why mlserve trains
// in a child process, one training per process:
//
//   - golearn's liblinear binding passes Go pointers to C, which Go's cgo
//     pointer check rejects with a panic unless GODEBUG=cgocheck=0; a
//     logistic regression without it fails with model.CodeTrainFailed
//     saying so. This package's tests re-execute themselves with it (see
//     TestMain).
//   - golearn's package logger (liblinear's iteration log) writes to
//     stdout; the first Train points it at io.Discard. Nothing else used
//     here prints.
//   - liblinear's L1 solver shuffles with the C library's rand(); each
//     logistic regression reseeds it, under a mutex.
//
// liblinear's fitted models live in C memory golearn never frees: a few
// kilobytes per fit, left to the process's exit.
package golearn
