package k8s

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// overlays are the kustomizations a user applies with `kubectl apply -k`.
var overlays = []string{"dev", "prod"}

// object is one rendered manifest: its identity and its JSON.
type object struct {
	APIVersion string
	Kind       string
	Name       string
	JSON       []byte
}

// gvk is how the schema registry names a kind: "apps/v1/Deployment".
func (o object) gvk() string { return o.APIVersion + "/" + o.Kind }

func (o object) String() string { return o.Kind + "/" + o.Name }

// rendered is one overlay built as `kubectl apply -k` builds it.
type rendered struct {
	overlay string
	yaml    []byte // the whole stream, as kubectl would send it
	objects []object
}

// render builds k8s/overlays/<overlay> with kustomize's own library and the
// options kubectl uses (files only from inside each kustomization's root), so
// what passes here is what `kubectl apply -k` applies. Each overlay is built
// once per test binary; the tests only read the result.
func render(tb testing.TB, overlay string) rendered {
	tb.Helper()
	renders.Lock()
	defer renders.Unlock()
	b, ok := renders.m[overlay]
	if !ok {
		b.r, b.err = build(overlay)
		renders.m[overlay] = b
	}
	if b.err != nil {
		tb.Fatalf("kustomize build overlays/%s: %v", overlay, b.err)
	}
	return b.r
}

// built is one overlay's build, kept for every test that reads it.
type built struct {
	r   rendered
	err error
}

var renders = struct {
	sync.Mutex
	m map[string]built
}{m: map[string]built{}}

func build(overlay string) (rendered, error) {
	r := rendered{overlay: overlay}
	dir, err := filepath.Abs(filepath.Join("overlays", overlay))
	if err != nil {
		return r, err
	}
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return r, err
	}
	if r.yaml, err = resources.AsYaml(); err != nil {
		return r, err
	}
	for _, res := range resources.Resources() {
		doc, err := res.AsYAML()
		if err != nil {
			return r, err
		}
		o, err := parseObject(doc)
		if err != nil {
			return r, err
		}
		r.objects = append(r.objects, o)
	}
	return r, nil
}

// decodeObject turns one YAML document into an object; a duplicated key
// anywhere in it is an error (the API server would keep only one).
func decodeObject(tb testing.TB, doc []byte) object {
	tb.Helper()
	o, err := parseObject(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

func parseObject(doc []byte) (object, error) {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return object{}, fmt.Errorf("%w in\n%s", err, doc)
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(js, &head); err != nil {
		return object{}, err
	}
	return object{APIVersion: head.APIVersion, Kind: head.Kind, Name: head.Metadata.Name, JSON: js}, nil
}

// strictDecode decodes o into v, failing on a field v's type does not have
// and on a value of the wrong type: what the API server's strict field
// validation refuses.
func strictDecode(o object, v any) error {
	dec := json.NewDecoder(bytes.NewReader(o.JSON))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// find returns the objects of kind (all of them when name is "").
func (r rendered) find(kind, name string) []object {
	var out []object
	for _, o := range r.objects {
		if o.Kind == kind && (name == "" || o.Name == name) {
			out = append(out, o)
		}
	}
	return out
}

// one decodes the single object of kind and name into v.
func (r rendered) one(tb testing.TB, kind, name string, v any) {
	tb.Helper()
	found := r.find(kind, name)
	if len(found) != 1 {
		tb.Fatalf("overlays/%s: %d objects %s/%s, want 1", r.overlay, len(found), kind, name)
	}
	if err := strictDecode(found[0], v); err != nil {
		tb.Fatalf("overlays/%s: %s: %v", r.overlay, found[0], err)
	}
}

// forEachOverlay runs f on every overlay, rendered, as a subtest.
func forEachOverlay(t *testing.T, f func(t *testing.T, r rendered)) {
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) { f(t, render(t, overlay)) })
	}
}
