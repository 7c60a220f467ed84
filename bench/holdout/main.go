// Command holdout prints the rows, 0-based and one a line, that mlserve
// holds out to test on for a dataset of -rows rows with the given holdout
// and seed: the very split a train job makes (learn.HoldoutSplit), so
// bench/train.sh fits scikit-learn on the same rows mlserve fits on and
// scores both on the same held-out rows.
package main

import (
	"bufio"
	"flag"
	"os"
	"strconv"

	"gitlab.com/mlserve/mlserve/internal/learn"
)

func main() {
	rows := flag.Int("rows", 0, "rows of the dataset")
	holdout := flag.Float64("holdout", 0.2, "fraction of the rows held out")
	seed := flag.Int64("seed", 1, "the train request's validation seed")
	flag.Parse()
	_, test := learn.HoldoutSplit(*rows, *holdout, *seed)
	w := bufio.NewWriter(os.Stdout)
	for _, r := range test {
		w.WriteString(strconv.Itoa(r))
		w.WriteByte('\n')
	}
	w.Flush()
}
