package httpclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/wasmhive/wasmhive/capability/httpclient"
)

func ExampleClient_Do() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from "+r.URL.Path)
	}))
	defer srv.Close()

	c, err := httpclient.New(httpclient.Config{AllowedHosts: []string{"127.0.0.1"}, Timeout: 5 * time.Second})
	if err != nil {
		panic(err)
	}
	resp, err := c.Do(context.Background(), httpclient.Request{URL: srv.URL + "/greet"})
	fmt.Println(resp.Status, string(resp.Body), err)

	_, err = c.Do(context.Background(), httpclient.Request{URL: "https://example.com/"})
	fmt.Println(errors.Is(err, httpclient.ErrHostNotAllowed))
	// Output:
	// 200 hello from /greet <nil>
	// true
}
