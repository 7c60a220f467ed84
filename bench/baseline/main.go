// Command baseline is the yardstick of the HTTP benchmark: a minimal
// net/http server whose one handler returns a fixed JSON body, so the
// benchmark can say how close mlserve's predict route comes to what Go's
// HTTP stack alone can do on the same machine in the same run.
package main

import (
	"flag"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address")
	flag.Parse()
	body := []byte(`{"model":"iris","version":1,"predictions":["Iris-setosa"]}`)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
