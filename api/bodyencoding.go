package api

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"

	"gitlab.com/mlserve/mlserve/model"
)

// acceptedEncodings is the Accept-Encoding a 415 for a request's
// Content-Encoding names (RFC 9110 12.5.3).
const acceptedEncodings = "gzip, identity"

// bodyEncoding reads a request's Content-Encoding: gzip (or x-gzip) at most
// once, and identity, which changes nothing. Anything else is a 415 naming
// the coding.
func bodyEncoding(h http.Header) (gzipped bool, err error) {
	for _, v := range h.Values("Content-Encoding") {
		for coding := range strings.SplitSeq(v, ",") {
			switch c := strings.ToLower(strings.TrimSpace(coding)); c {
			case "", "identity":
			case "gzip", "x-gzip":
				if gzipped {
					return false, model.Errorf(codeUnsupportedMedia, "Content-Encoding gzip twice is not supported: send %s once", acceptedEncodings)
				}
				gzipped = true
			default:
				return false, model.Errorf(codeUnsupportedMedia, "Content-Encoding %q is not supported: send gzip or identity", c)
			}
		}
	}
	return gzipped, nil
}

// gunzipBody decodes a gzip body as it is read. The gzip header is read on
// the first Read, so a broken one is an error of the body, like any other.
type gunzipBody struct {
	compressed io.ReadCloser
	zr         *gzip.Reader
}

func (b *gunzipBody) Read(p []byte) (int, error) {
	if b.zr == nil {
		zr, err := gzip.NewReader(b.compressed)
		if err != nil {
			return 0, gzipError(err)
		}
		b.zr = zr
	}
	n, err := b.zr.Read(p)
	if err != nil && err != io.EOF {
		err = gzipError(err)
	}
	return n, err
}

// Close closes the compressed body.
func (b *gunzipBody) Close() error {
	return b.compressed.Close()
}

// gzipError keeps a body-size error as it is (a 413) and says of any other
// that the gzip stream is broken. It does not wrap err: a truncated stream's
// io.ErrUnexpectedEOF must not read as a truncated JSON value.
func gzipError(err error) error {
	if _, ok := err.(*http.MaxBytesError); ok {
		return err
	}
	return fmt.Errorf("the gzip-encoded body is corrupt: %v", err)
}
