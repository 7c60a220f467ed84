package mongo

import (
	"reflect"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

// registry is the BSON registry of the store's client: the driver's
// default plus the codecs below.
//
// FerretDB v1 refuses arrays directly inside arrays ("nested arrays are not
// supported"), and a confusion matrix is one. So a model.ConfusionMatrix,
// wherever it appears (a version's metrics, a train job's result), is
// stored with each row wrapped in a document:
//
//	{labels: [a, b], rows: [{counts: [5, 1]}, {counts: [0, 7]}]}
//
// MongoDB would take the plain form; one form for both keeps the data
// portable between them.
func registry() *bson.Registry {
	reg := bson.NewRegistry()
	t := reflect.TypeFor[model.ConfusionMatrix]()
	reg.RegisterTypeEncoder(t, bson.ValueEncoderFunc(encodeConfusion))
	reg.RegisterTypeDecoder(t, bson.ValueDecoderFunc(decodeConfusion))
	return reg
}

// storedConfusion is how a model.ConfusionMatrix is stored.
type storedConfusion struct {
	Labels []string    `bson:"labels"`
	Rows   []storedRow `bson:"rows"`
}

type storedRow struct {
	Counts []int `bson:"counts"`
}

func encodeConfusion(ec bson.EncodeContext, vw bson.ValueWriter, val reflect.Value) error {
	cm := val.Interface().(model.ConfusionMatrix)
	stored := storedConfusion{Labels: cm.Labels}
	if cm.Counts != nil {
		stored.Rows = make([]storedRow, len(cm.Counts))
		for i, row := range cm.Counts {
			stored.Rows[i].Counts = row
		}
	}
	enc, err := ec.LookupEncoder(reflect.TypeFor[storedConfusion]())
	if err != nil {
		return err
	}
	return enc.EncodeValue(ec, vw, reflect.ValueOf(stored))
}

func decodeConfusion(dc bson.DecodeContext, vr bson.ValueReader, val reflect.Value) error {
	var stored storedConfusion
	dec, err := dc.LookupDecoder(reflect.TypeFor[storedConfusion]())
	if err != nil {
		return err
	}
	if err := dec.DecodeValue(dc, vr, reflect.ValueOf(&stored).Elem()); err != nil {
		return err
	}
	cm := model.ConfusionMatrix{Labels: stored.Labels}
	if stored.Rows != nil {
		cm.Counts = make([][]int, len(stored.Rows))
		for i, row := range stored.Rows {
			cm.Counts[i] = row.Counts
		}
	}
	val.Set(reflect.ValueOf(cm))
	return nil
}
