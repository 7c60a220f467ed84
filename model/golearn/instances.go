package golearn

import (
	"strconv"

	"github.com/sjwhitworth/golearn/base"
)

// attrName names encoded column j in golearn's instances and so in its
// trees: the artifact's encodings say what each column means.
func attrName(j int) string { return "x" + strconv.Itoa(j) }

// padName is the constant attribute added to tree instances. golearn's
// InferID3Tree stops splitting when a node has two columns left, counting
// the class: it would never split on the last feature of a path (a
// one-feature tree would be a single leaf). The pad keeps a column there;
// splitRule never picks it, having no threshold to split at.
const padName = "pad"

// classAttribute returns a categorical attribute whose values are classes
// in order, so a class's index here is its golearn value.
func classAttribute(classes []string) *base.CategoricalAttribute {
	a := base.NewCategoricalAttribute()
	a.SetName("class")
	for _, c := range classes {
		a.GetSysValFromString(c)
	}
	return a
}

// treeInstances returns the given rows and encoded columns of x with
// class y, as golearn float attributes plus the pad, for ID3.
func treeInstances(x [][]float64, y []int, classes []string, rows, cols []int) *base.DenseInstances {
	inst := base.NewDenseInstances()
	specs := make([]base.AttributeSpec, len(cols))
	for k, j := range cols {
		specs[k] = inst.AddAttribute(base.NewFloatAttribute(attrName(j)))
	}
	pad := inst.AddAttribute(base.NewFloatAttribute(padName))
	class := classAttribute(classes)
	cs := inst.AddAttribute(class)
	mustGolearn(inst.AddClassAttribute(class))
	mustGolearn(inst.Extend(len(rows)))
	zero := base.PackFloatToBytes(0)
	for i, r := range rows {
		for k, j := range cols {
			inst.Set(specs[k], i, base.PackFloatToBytes(x[r][j]))
		}
		inst.Set(pad, i, zero)
		inst.Set(cs, i, base.PackU64ToBytes(uint64(y[r])))
	}
	return inst
}

// binaryInstances returns the given rows of x, whose values are 0 or 1,
// with class y, as golearn binary attributes, for Bernoulli naive Bayes.
func binaryInstances(x [][]float64, y []int, classes []string, rows []int) *base.DenseInstances {
	inst := base.NewDenseInstances()
	width := 0
	if len(x) > 0 {
		width = len(x[0])
	}
	specs := make([]base.AttributeSpec, width)
	for j := range specs {
		specs[j] = inst.AddAttribute(base.NewBinaryAttribute(attrName(j)))
	}
	class := classAttribute(classes)
	cs := inst.AddAttribute(class)
	mustGolearn(inst.AddClassAttribute(class))
	mustGolearn(inst.Extend(len(rows)))
	for i, r := range rows {
		for j := range specs {
			b := byte(0)
			if x[r][j] > 0 {
				b = 1
			}
			inst.Set(specs[j], i, []byte{b})
		}
		inst.Set(cs, i, base.PackU64ToBytes(uint64(y[r])))
	}
	return inst
}

// regressionInstances returns the given rows of x with the numeric target
// v, as golearn float attributes.
func regressionInstances(x [][]float64, v []float64, rows []int, width int) *base.DenseInstances {
	inst := base.NewDenseInstances()
	specs := make([]base.AttributeSpec, width)
	for j := range specs {
		specs[j] = inst.AddAttribute(base.NewFloatAttribute(attrName(j)))
	}
	target := base.NewFloatAttribute("target")
	ts := inst.AddAttribute(target)
	mustGolearn(inst.AddClassAttribute(target))
	mustGolearn(inst.Extend(len(rows)))
	for i, r := range rows {
		for j := range specs {
			inst.Set(specs[j], i, base.PackFloatToBytes(x[r][j]))
		}
		inst.Set(ts, i, base.PackFloatToBytes(v[r]))
	}
	return inst
}

// mustGolearn panics on an error golearn returns for instances built here,
// which can only be a bug in this package: the attributes were just added.
// Callers run inside golearnCall, which reports the panic.
func mustGolearn(err error) {
	if err != nil {
		panic(err)
	}
}
