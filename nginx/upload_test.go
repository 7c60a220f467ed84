package nginx

import (
	"io"
	"net/http"
	"os"
	"testing"
	"time"
)

// TestSlowUploadDoesNotHoldTheAPI shows why the upload location buffers the
// body: the API's http.read_timeout bounds the whole request, so a client
// slower than it is cut off by the API, but not through nginx, which takes
// the body first and hands it over at once.
func TestSlowUploadDoesNotHoldTheAPI(t *testing.T) {
	nginxBinary(t)
	api := startAPI(t, map[string]string{"MLSERVE_HTTP_READ_TIMEOUT": "1s"})
	px := startProxy(t, api.Addr)
	iris, err := os.ReadFile("../testdata/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	upload := func(base string) (int, error) {
		// Ten pieces 250 ms apart: over two seconds, twice the read timeout.
		req, err := http.NewRequest(http.MethodPost, base+"/v1/datasets?name=slow", &slowReader{data: iris, pieces: 10, pause: 250 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len(iris))
		req.Header.Set("Content-Type", "text/csv")
		resp, err := client("127.0.0.1").Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if status, err := upload(api.URL); err == nil && status == http.StatusCreated {
		t.Fatalf("straight to the API the slow upload got %d; the API's read timeout no longer cuts it off, so this test shows nothing", status)
	}
	if status, err := upload(px.URL); err != nil || status != http.StatusCreated {
		t.Errorf("the slow upload through nginx: %d, %v; want 201", status, err)
	}
}

// slowReader hands out data in pieces, pausing before each.
type slowReader struct {
	data   []byte
	pieces int
	pause  time.Duration
	sent   int
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.sent == len(r.data) {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	n := min(len(p), len(r.data)-r.sent, len(r.data)/r.pieces+1)
	copy(p, r.data[r.sent:r.sent+n])
	r.sent += n
	return n, nil
}
