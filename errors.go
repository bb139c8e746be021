// Package phonghop holds the domain types and errors of the paperless meeting-room
// server. It has no dependencies beyond the standard library; the subpackages wrap
// storage, live events, voting, minutes and HTTP around it.
package phonghop

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Error codes of the API contract. The HTTP layer maps each to one status.
const (
	EInvalid         = "invalid_argument"
	EUnauthenticated = "unauthenticated"
	EForbidden       = "forbidden"
	ENotFound        = "not_found"
	EConflict        = "conflict"
	ETooLarge        = "payload_too_large"
	EUnsupportedType = "unsupported_media_type"
	ETooMany         = "too_many_requests"
	EUnavailable     = "unavailable"
	EInternal        = "internal"
	// ECanceled: the caller went away before the answer (a tablet navigated off).
	// Nobody reads the answer; it is neither logged as a failure nor counted as one.
	ECanceled = "canceled"
)

// Error is an error meant for the client: its message is safe to show.
//
// Code decides the HTTP status. Reason names what went wrong in the catalogue
// (errors.json), which holds its message in English and Vietnamese with
// {placeholders} that Params fill; the web app translates by Reason, so every
// reason the server can send has both texts (a test checks). Message is the
// English text, for logs and for API clients that show it as it is.
//
// Its JSON form is the contract's error object, the same over REST and the
// live room.
type Error struct {
	Code    string            `json:"code"`
	Reason  string            `json:"reason,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	Message string            `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

//go:embed errors.json
var catalogueJSON []byte

// Texts is one reason's message in each language the app speaks.
type Texts struct {
	En string `json:"en"`
	Vi string `json:"vi"`
}

var catalogue = func() map[string]Texts {
	m := map[string]Texts{}
	if err := json.Unmarshal(catalogueJSON, &m); err != nil {
		panic("phonghop: errors.json: " + err.Error())
	}
	return m
}()

// Catalogue returns every reason with its texts, sorted by reason.
func Catalogue() map[string]Texts { return catalogue }

// Reasons lists the catalogue's reasons, sorted.
func Reasons() []string {
	r := make([]string, 0, len(catalogue))
	for k := range catalogue {
		r = append(r, k)
	}
	sort.Strings(r)
	return r
}

var placeholder = regexp.MustCompile(`\{(\w+)\}`)

// Placeholders returns the {names} a text uses, sorted.
func Placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

// Fail returns the client error code with the catalogue's reason, params given
// as name, value pairs: Fail(EInvalid, "too_many_participants", "max", 500).
// reason must be a string literal found in errors.json (a test checks every call).
func Fail(code, reason string, params ...any) *Error {
	e := &Error{Code: code, Reason: reason}
	if len(params) > 0 {
		e.Params = make(map[string]string, len(params)/2)
		for i := 0; i+1 < len(params); i += 2 {
			e.Params[fmt.Sprint(params[i])] = fmt.Sprint(params[i+1])
		}
	}
	text, ok := catalogue[reason]
	if !ok {
		e.Message = reason
		return e
	}
	e.Message = placeholder.ReplaceAllStringFunc(text.En, func(m string) string {
		if v, ok := e.Params[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
	return e
}

// publicError is implemented by errors of other packages that stand for a
// client error (storage's sentinels), so one classifier knows them all.
type publicError interface {
	PublicError() *Error
}

// Public turns any error into the one a client may see: an *Error in the chain
// as it is, errors that know their public form (storage's) as that, a caller
// that went away as ECanceled, a deadline as EUnavailable, anything else as
// EInternal with no detail. REST and the live room both answer with it, so one
// failure has one code whichever face reports it. nil stays nil.
func Public(err error) *Error {
	var e *Error
	var pe publicError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e):
		return e
	case errors.As(err, &pe):
		return pe.PublicError()
	case errors.Is(err, context.Canceled):
		return Fail(ECanceled, "canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return Fail(EUnavailable, "unavailable")
	}
	return Fail(EInternal, "internal")
}

// ErrorCode returns the code Public gives err, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	return Public(err).Code
}

// ErrorMessage returns the client-safe message of err; internals never leak.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	return Public(err).Message
}

// Clip shortens a value quoted back in a message's params.
func Clip(s string) string {
	if len(s) > 60 {
		return strings.ToValidUTF8(s[:60], "") + "…"
	}
	return s
}
