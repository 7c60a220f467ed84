package learn

import (
	"context"
	"sync"

	"gitlab.com/mlserve/mlserve/model"
)

// predictChunk is how many rows one Predict call takes: a batch this size
// fits the caches, and keeps every goroutine busy to the end.
const predictChunk = 1024

// Predict predicts the given rows of d with p, which takes d's features in
// order, on up to threads goroutines. It returns each row's class index
// for a classifier, else its value (the other slice is nil), or an error
// wrapping ctx.Err() when ctx is done first (it is checked between
// batches).
func Predict(ctx context.Context, p model.Predictor, d *Data, rows []int, threads int) (classes []int32, values []float64, err error) {
	n := len(rows)
	if p.Task() == model.TaskClassification {
		classes = make([]int32, n)
	} else {
		values = make([]float64, n)
	}
	chunks := (n + predictChunk - 1) / predictChunk
	next := make(chan int, chunks)
	for c := range chunks {
		next <- c
	}
	close(next)
	var wg sync.WaitGroup
	for range max(1, min(threads, chunks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := newBatch(d, predictChunk)
			for c := range next {
				if ctx.Err() != nil {
					return
				}
				lo, hi := c*predictChunk, min(n, (c+1)*predictChunk)
				b.fill(d, rows[lo:hi])
				out := &model.Output{}
				if classes != nil {
					out.Classes = classes[lo:hi]
				} else {
					out.Values = values[lo:hi]
				}
				p.Predict(&b.Batch, out)
			}
		}()
	}
	wg.Wait()
	if err := Stopped(ctx); err != nil {
		return nil, nil, err
	}
	return classes, values, nil
}

// batch is a reusable model.Batch of rows of a Data.
type batch struct {
	model.Batch
	f int
}

func newBatch(d *Data, rows int) *batch {
	b := &batch{f: len(d.Features)}
	for _, c := range d.Features {
		if c.Type == model.ColumnString && b.Strs == nil {
			b.Strs = make([]string, rows*b.f)
		}
		if c.Type == model.ColumnNumber && b.Nums == nil {
			b.Nums = make([]float64, rows*b.f)
		}
	}
	return b
}

// fill loads the given rows of d into b.
func (b *batch) fill(d *Data, rows []int) {
	b.Rows = len(rows)
	for i, c := range d.Features {
		if c.Type == model.ColumnString {
			for k, r := range rows {
				b.Strs[k*b.f+i] = c.Strings[r]
			}
			continue
		}
		for k, r := range rows {
			b.Nums[k*b.f+i] = c.Numbers[r]
		}
	}
}
