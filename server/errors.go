package server

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	phonghop.EInvalid:         http.StatusBadRequest,
	phonghop.EUnauthenticated: http.StatusUnauthorized,
	phonghop.EForbidden:       http.StatusForbidden,
	phonghop.ENotFound:        http.StatusNotFound,
	phonghop.EConflict:        http.StatusConflict,
	phonghop.ETooLarge:        http.StatusRequestEntityTooLarge,
	phonghop.EUnsupportedType: http.StatusUnsupportedMediaType,
	phonghop.ETooMany:         http.StatusTooManyRequests,
	phonghop.EUnavailable:     http.StatusServiceUnavailable,
	phonghop.EInternal:        http.StatusInternalServerError,
	// The client hung up; nobody reads this (nginx's "client closed request").
	phonghop.ECanceled: 499,
}

type errorBody struct {
	Error *phonghop.Error `json:"error"`
}

func statusFor(ce *phonghop.Error) int {
	if status, ok := statusOf[ce.Code]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// writeError answers with the contract's error body and logs what the client
// does not see: server faults at error level, refusals and hang-ups at debug.
func writeError(c *gin.Context, err error) {
	ce := phonghop.Public(err)
	status := statusFor(ce)
	if status >= 500 {
		logger(c).Error("request failed", "err", err, "code", ce.Code)
	} else {
		logger(c).Debug("request refused", "err", err, "code", ce.Code)
	}
	c.Set(ctxErrorCode, ce.Code)
	c.Set(ctxErrorReason, ce.Reason)
	c.AbortWithStatusJSON(status, errorBody{Error: ce})
}

// WriteHTTPError is writeError for plain net/http handlers (the live upgrade).
func WriteHTTPError(w http.ResponseWriter, err error) {
	ce := phonghop.Public(err)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(statusFor(ce))
	_, _ = w.Write(mustJSON(errorBody{Error: ce}))
}

func logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*requestLogger).get()
	}
	return slog.Default()
}

// logWith adds attributes to the request's logger (the user, once known).
func logWith(c *gin.Context, args ...any) {
	if l, ok := c.Get(ctxLogger); ok {
		l.(*requestLogger).with(args...)
	}
}
