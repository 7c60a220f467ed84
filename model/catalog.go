package model

import "strings"

// Engines and kinds: the implementations an algorithm's Variant picks.
const (
	EngineCART    = "cart"    // mlserve's own CART trees (model/trees)
	EngineGolearn = "golearn" // golearn's ID3 trees, kept for the versions trained with them
	KindGaussian  = "gaussian"
	KindBernoulli = "bernoulli"
)

var (
	bothTasks      = []string{TaskClassification, TaskRegression}
	classification = []string{TaskClassification}
	regression     = []string{TaskRegression}
)

// Catalog lists every algorithm, in the order of Algorithms. It builds a
// fresh value on each call, so callers may keep or change what it returns.
func Catalog() []Algorithm {
	algs := []Algorithm{randomForest(), gradientBoosting(), decisionTree(), knn(), logisticRegression(), linearRegression(), naiveBayes()}
	for i := range algs {
		algs[i] = withVariants(algs[i])
		algs[i].Preprocess = []string{StepImpute, StepScale, StepOneHot, StepDrop}
		algs[i].Search = []string{"grid", "random"}
		for j := range algs[i].Params {
			algs[i].Params[j].Distributions = distributions(algs[i].Params[j].Type)
		}
	}
	return algs
}

// distributions are the random-search distributions of a parameter
// type: a whole number is drawn from an int range, a log range (rounded)
// or a choice; a float from a float or log range or a choice.
func distributions(paramType string) []string {
	switch paramType {
	case ParamInt:
		return []string{"int", "log", "choice"}
	case ParamFloat:
		return []string{"float", "log", "choice"}
	case ParamFeatures:
		return []string{"float", "choice"}
	}
	return []string{"choice"}
}

// withVariants completes an algorithm with variants from them: its tasks
// are theirs, and its variant parameter, first, names them, the first the
// default.
func withVariants(a Algorithm) Algorithm {
	if a.Variant == "" {
		return a
	}
	var names []string
	learns := map[string]bool{}
	for _, v := range a.Variants {
		names = append(names, v.Name)
		for _, t := range v.Tasks {
			learns[t] = true
		}
	}
	a.Tasks = nil
	for _, t := range bothTasks {
		if learns[t] {
			a.Tasks = append(a.Tasks, t)
		}
	}
	choice := enumParam(a.Variant, names[0], names, "the implementation: "+strings.Join(names, " or "))
	a.Params = append([]ParamSpec{choice}, a.Params...)
	return a
}

func randomForest() Algorithm {
	return Algorithm{
		Name: "random_forest", StringFeatures: true,
		Doc: "A forest of trees that vote (classes: their leaves' class shares averaged) or average (numbers). " +
			"Engine cart, the default, is Breiman's random forest: each tree is a CART tree grown on a bootstrap " +
			"sample of the training rows, choosing each split among max_features features drawn anew for that " +
			"split; trees are fitted in parallel; the out-of-bag score and feature importances are recorded. " +
			"String features are one-hot encoded.",
		Variant: "engine",
		Variants: []VariantSpec{
			{Name: EngineCART, Tasks: bothTasks, Doc: "mlserve's CART trees on 255-bin histograms"},
			{Name: EngineGolearn, Tasks: classification, Doc: "golearn's ID3 trees, each on a bootstrap sample and a random subset of " +
				"the features drawn once per tree (the random subspace method); kept so versions trained before engine cart load unchanged"},
		},
		Params: append(append([]ParamSpec{intParam("trees", 100, 1, 1000, "number of trees").only(EngineCART)},
			cartParams(featuresParam("sqrt").forTask(TaskClassification), featuresParam(1.0).forTask(TaskRegression))...),
			intParam("trees", 50, 1, 500, "number of trees").only(EngineGolearn),
			// golearn draws a tree's features once per tree, and its ID3
			// splits on a number feature at most once on a path: trees
			// seeing ⌈√n⌉ features are too shallow (iris: accuracy 0.85
			// against 0.96 with ⌈2n/3⌉, measured over five seeds).
			ParamSpec{Name: "features", Type: ParamInt, Min: ptr(1), AtMostFeatures: true, Variants: []string{EngineGolearn},
				Doc: "features each tree sees, drawn at random per tree; default ⌈2n/3⌉ of the n features"},
		),
	}
}

func gradientBoosting() Algorithm {
	return Algorithm{
		Name: "gradient_boosting", Tasks: bothTasks, StringFeatures: true, MissingValues: true,
		Doc: "Histogram-based gradient-boosted trees (as LightGBM and scikit-learn's HistGradientBoosting): number " +
			"features cut into at most max_bins bins, trees grown best leaf first, binary log-loss, multiclass " +
			"softmax (a tree per class per iteration) or squared error. Missing number values are handled natively: " +
			"each split learns which side they go to. String features are one-hot encoded; a missing or unseen " +
			"string is none of its levels.",
		Params: []ParamSpec{
			intParam("iterations", 100, 1, 10000, "boosting iterations at most (early stopping may stop sooner)"),
			floatParam("learning_rate", 0.1, 0, 10, true, "shrinkage of each tree's contribution"),
			intParam("max_leaf_nodes", 31, 2, 4096, "leaves per tree at most"),
			intParam("max_depth", 0, 0, 100, "depth of a tree at most; 0 is no limit"),
			intParam("min_samples_leaf", 20, 1, 1<<30, "training rows a leaf holds at least"),
			floatParam("l2", 0, 0, 1e6, false, "L2 regularization of the leaf values"),
			intParam("max_bins", 255, 2, 255, "bins each number feature is cut into at most (one more holds missing values)"),
			enumParam("early_stopping", "auto", []string{"auto", "on", "off"},
				"stop when the loss on a held-out validation fraction of the training rows has not improved for "+
					"n_iter_no_change iterations; auto is on past 10,000 training rows"),
			floatParam("validation_fraction", 0.1, 0, 0.5, true, "share of the training rows early stopping holds out"),
			intParam("n_iter_no_change", 10, 1, 1000, "iterations without improvement before early stopping stops"),
		},
	}
}

func decisionTree() Algorithm {
	return Algorithm{
		Name: "decision_tree", StringFeatures: true,
		Doc: "One decision tree. Engine cart, the default, grows a CART tree: binary splits on any feature, any " +
			"number of times on a path, by Gini or entropy (classes) or squared error (numbers). String features " +
			"are one-hot encoded.",
		Variant: "engine",
		Variants: []VariantSpec{
			{Name: EngineCART, Tasks: bothTasks, Doc: "mlserve's CART tree on 255-bin histograms"},
			{Name: EngineGolearn, Tasks: classification, Doc: "golearn's ID3 tree: number features split at a threshold, each at most " +
				"once on a path; kept so versions trained before engine cart load unchanged"},
		},
		Params: append(cartParams(featuresParam(1.0)),
			enumParam("rule", "information_gain", []string{"information_gain", "gain_ratio", "gini"},
				"how a split is chosen: golearn's information gain, its gain ratio, or Gini impurity").only(EngineGolearn),
			floatParam("prune", 0, 0, 0.5, false,
				"fraction of the training rows held out to prune the tree with (golearn's reduced-error "+
					"pruning); 0 grows the tree on every training row and does not prune").only(EngineGolearn),
		),
	}
}

func knn() Algorithm {
	return Algorithm{
		Name: "knn", Tasks: bothTasks, StringFeatures: true,
		Doc: "k nearest neighbours with golearn's distance functions: the neighbours vote (classes) or their targets " +
			"are averaged (numbers). String features are one-hot encoded.",
		Params: []ParamSpec{
			intParam("k", 5, 1, 100, "number of neighbours that vote"),
			enumParam("distance", "euclidean", []string{"euclidean", "manhattan", "cosine"}, "distance between rows"),
		},
	}
}

func logisticRegression() Algorithm {
	return Algorithm{
		Name: "logistic_regression", Tasks: classification, StringFeatures: true,
		Doc: "Regularized logistic regression (golearn's liblinear binding), one-vs-rest for more than two " +
			"classes, with an intercept. String features are one-hot encoded.",
		Params: []ParamSpec{
			enumParam("penalty", "l2", []string{"l2", "l1"}, "regularization: l2 (ridge) or l1 (lasso)"),
			floatParam("C", 1, 0, 1e6, true, "inverse regularization strength: larger fits the training rows more closely"),
			floatParam("eps", 0.01, 0, 1, true, "liblinear's stopping tolerance"),
		},
	}
}

func linearRegression() Algorithm {
	return Algorithm{
		Name: "linear_regression", Tasks: regression, StringFeatures: false,
		Doc: "Ordinary least squares with an intercept, by golearn's LinearRegression algorithm (QR). " +
			"Number features only; the target must be a number column.",
		Params: []ParamSpec{},
	}
}

func naiveBayes() Algorithm {
	return Algorithm{
		Name: "naive_bayes", StringFeatures: true,
		Doc: "Naive Bayes. Kind gaussian, the default, models each number feature as a normal distribution per class " +
			"(scikit-learn's GaussianNB) and each string feature as Laplace-smoothed value frequencies per class; kind " +
			"bernoulli is golearn's Bernoulli naive Bayes over binary features (a string feature becomes one indicator " +
			"per value, a number feature one indicator per equal-width bin of its training range that holds rows).",
		Variant: "kind",
		Variants: []VariantSpec{
			{Name: KindGaussian, Tasks: classification, Doc: "mlserve's Gaussian (and categorical) naive Bayes"},
			{Name: KindBernoulli, Tasks: classification, Doc: "golearn's Bernoulli naive Bayes over binned and one-hot features"},
		},
		Params: []ParamSpec{
			floatParam("var_smoothing", 1e-9, 0, 1, false,
				"share of the largest feature variance added to every variance, for stability").only(KindGaussian),
			intParam("bins", 5, 2, 100, "equal-width bins each number feature is cut into").only(KindBernoulli),
		},
	}
}

// cartParams are the growing parameters of engine cart's trees, with the
// given max_features specs.
func cartParams(maxFeatures ...ParamSpec) []ParamSpec {
	specs := []ParamSpec{
		enumParam("criterion", "gini", []string{"gini", "entropy"}, "split quality: Gini impurity or entropy").
			forTask(TaskClassification),
		enumParam("criterion", "squared_error", []string{"squared_error"}, "split quality: squared error (variance)").
			forTask(TaskRegression),
	}
	specs = append(specs, maxFeatures...)
	specs = append(specs,
		intParam("max_depth", 0, 0, 1000, "depth of a tree at most; 0 grows until leaves are pure or too small to split"),
		intParam("min_samples_split", 2, 2, 1<<30, "training rows a node needs to be split"),
		intParam("min_samples_leaf", 1, 1, 1<<30, "training rows each side of a split keeps at least"))
	for i := range specs {
		specs[i] = specs[i].only(EngineCART)
	}
	return specs
}
