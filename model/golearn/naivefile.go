package golearn

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// maxNaiveBayesBytes bounds what Load decompresses of a naive Bayes
// payload: a corrupt one must not inflate without limit.
const maxNaiveBayesBytes = 64 << 20

// canonicalTar rewrites golearn's saved file with the attribute lists
// (INSTANCE_STRUCTURECATTRS, INSTANCE_STRUCTUREATTRS) in attribute-name
// order: golearn writes them in map-iteration order, so one model would
// save as different bytes from run to run. golearn's loader matches
// attributes by name, so it reads the result as it read the original.
func canonicalTar(gz []byte) ([]byte, error) {
	files, err := untar(gz)
	if err != nil {
		return nil, fmt.Errorf("read golearn's naive Bayes file: %w", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		data := f.data
		if strings.HasSuffix(f.name, "ATTRS") {
			if data, err = sortAttributes(data); err != nil {
				return nil, fmt.Errorf("%s: %w", f.name, err)
			}
		}
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Size: int64(len(data))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sortAttributes sorts a JSON list of golearn attributes by name, keeping
// each attribute's bytes.
func sortAttributes(list []byte) ([]byte, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(list, &raw); err != nil {
		return nil, err
	}
	type named struct {
		Name string `json:"name"`
		raw  json.RawMessage
	}
	attrs := make([]named, len(raw))
	for i := range raw {
		if err := json.Unmarshal(raw[i], &attrs[i]); err != nil {
			return nil, err
		}
		attrs[i].raw = raw[i]
	}
	slices.SortStableFunc(attrs, func(a, b named) int { return cmp.Compare(a.Name, b.Name) })
	for i := range attrs {
		raw[i] = attrs[i].raw
	}
	return json.Marshal(raw)
}

// tarFile is one file of a tar.
type tarFile struct {
	name string
	data []byte
}

// untar returns the files of a gzipped tar in order, within
// maxNaiveBayesBytes uncompressed.
func untar(gz []byte) ([]tarFile, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	lr := &io.LimitedReader{R: zr, N: maxNaiveBayesBytes}
	tr := tar.NewReader(lr)
	var files []tarFile
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("more than %d bytes uncompressed", maxNaiveBayesBytes)
		}
		files = append(files, tarFile{hdr.Name, b})
	}
}

// byName indexes files by name, the later of two with one name winning,
// as golearn's reader does.
func byName(files []tarFile) map[string][]byte {
	m := make(map[string][]byte, len(files))
	for _, f := range files {
		m[f.name] = f.data
	}
	return m
}

// u64 reads golearn's 8-byte little-endian integer encoding.
func u64(b []byte) (uint64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}
