// Package bayes is mlserve's Gaussian naive Bayes (naive_bayes of kind
// gaussian), pure Go: scikit-learn's GaussianNB for number features, and
// Laplace-smoothed value frequencies for string features.
//
// A number feature is a normal distribution per class: its mean and
// variance over the class's training rows, every variance widened by
// var_smoothing times the largest variance of any number feature over all
// the rows (scikit-learn's epsilon). A string feature is, per class, the
// share of the class's rows holding each value seen in training, with one
// more row counted for every value (add-one smoothing); a value not seen
// in training (or missing) says nothing, for every class alike. A class's
// score is the log of its share of the rows plus each feature's log
// likelihood; the probabilities are the scores' softmax.
//
// The artifact is learn's envelope, format "gaussian-nb/1", with every
// parameter in its JSON description and no payload.
package bayes
