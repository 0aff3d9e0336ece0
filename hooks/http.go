package hooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// HTTP steps retry with backoff until they succeed or their time is up. Each
// attempt gets at most attemptTimeout, so a registry that hangs costs one
// attempt, not the whole budget.
const (
	attemptTimeout = 5 * time.Second
	retryWaitMin   = 100 * time.Millisecond
	retryWaitMax   = 2 * time.Second
)

// newHTTPClient builds a client for one step. go-retryablehttp's pooled
// default has no overall timeout and logs [DEBUG] lines of its own; this one
// is quiet, bounded per attempt, and bounded overall by the step's context.
// retry decides, for a response that is not accepted, whether to try again.
func newHTTPClient(s Step, retry func(code int) bool, attempts *int, lastErr *error) *retryablehttp.Client {
	c := retryablehttp.NewClient()
	c.HTTPClient = &http.Client{
		Timeout:   attemptTimeout,
		Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, DisableKeepAlives: true},
	}
	c.Logger = nil
	c.RetryWaitMin, c.RetryWaitMax = retryWaitMin, retryWaitMax
	c.RetryMax = 1 << 30 // the context's deadline ends the retries
	c.RequestLogHook = func(retryablehttp.Logger, *http.Request, int) { *attempts++ }
	c.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err != nil {
			*lastErr = err
			return true, nil // refused, reset, timed out: the server may come back
		}
		if s.accepts(resp.StatusCode) {
			return false, nil
		}
		return retry(resp.StatusCode), nil
	}
	c.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return c
}

// retryStatus retries what a server says may pass: 408, 429 and 5xx.
func retryStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

func runHTTP(_ *Runner, ctx context.Context, s Step, args []string, _ func(string)) (string, error) {
	return doHTTP(ctx, s, s.Method, args[0], retryStatus)
}

// runWaitHTTP waits until URL answers with an accepted status, whatever it
// answered before.
func runWaitHTTP(_ *Runner, ctx context.Context, s Step, args []string, _ func(string)) (string, error) {
	return doHTTP(ctx, s, "GET", args[0], func(int) bool { return true })
}

func doHTTP(ctx context.Context, s Step, method, rawURL string, retry func(int) bool) (string, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return "", err
	}
	var body io.Reader
	if s.Data != "" {
		body = strings.NewReader(s.Data)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return "", fmt.Errorf("request: %v", redactErr(err))
	}
	for _, h := range s.Headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if s.Data != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	attempts := 0
	var lastErr error
	resp, err := newHTTPClient(s, retry, &attempts, &lastErr).Do(req)
	tries := fmt.Sprintf("%d attempt(s)", attempts)
	if err != nil {
		// The context's end is why we stopped; the last attempt's error is
		// what the user needs to see.
		if lastErr != nil {
			err = lastErr
		}
		return "", fmt.Errorf("no answer after %s: %v", tries, lastCause(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if !s.accepts(resp.StatusCode) {
		return "", fmt.Errorf("giving up after %s: %s", tries, resp.Status)
	}
	if attempts > 1 {
		return fmt.Sprintf("%s after %s", resp.Status, tries), nil
	}
	return resp.Status, nil
}

// lastCause drops the URL from a transport error (the progress line shows
// the step already) and keeps what went wrong: "connection refused".
func lastCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return redactErr(err)
}

// redactErr hides any password in a URL that an error message carries.
func redactErr(err error) error {
	words := strings.Fields(err.Error())
	for i, w := range words {
		words[i] = redactURL(strings.Trim(w, `"`))
	}
	return errors.New(strings.Join(words, " "))
}
