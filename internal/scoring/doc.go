// Package scoring scores a dataset CSV with a model's predictor in parts
// that any worker can take: Plan splits the dataset's records into ranges
// of whole records, Score predicts one range's records into CSV output
// lines, and CSVHeader and WriteNDJSON serve the parts' concatenated output.
//
// The package reads and writes plain io.Reader and io.Writer values and
// knows nothing of stores, tasks or HTTP. Its CSV reading agrees with
// encoding/csv, the reader csvdata.Inspect accepted the dataset with, on
// every record boundary and field value (FuzzRecords, FuzzPlan), so a
// range planned here holds the records Inspect counted and Score sees the
// values training saw.
package scoring
