package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
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
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// clientError turns any error into the one a client may see: storage outages
// become "unavailable", storage's own sentinels their codes, and anything not
// meant for clients "internal".
func clientError(err error) *phonghop.Error {
	var e *phonghop.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, storage.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return phonghop.Errorf(phonghop.EUnavailable, "storage is unavailable, try again shortly")
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrInvalidKey):
		return phonghop.Errorf(phonghop.ENotFound, "not found")
	case errors.Is(err, storage.ErrPrecondition):
		return phonghop.Errorf(phonghop.EConflict, "changed by someone else; reload and try again")
	case errors.Is(err, storage.ErrInvalidRange):
		return phonghop.Errorf(phonghop.EInvalid, "range not satisfiable")
	}
	return phonghop.Errorf(phonghop.EInternal, "internal error")
}

// writeError answers with the contract's error body and logs what the client
// does not see.
func writeError(c *gin.Context, err error) {
	ce := clientError(err)
	status, ok := statusOf[ce.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		logger(c).Error("request failed", "err", err, "code", ce.Code)
	} else {
		logger(c).Debug("request refused", "err", err)
	}
	c.Set(ctxErrorCode, ce.Code)
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: ce.Code, Message: ce.Message}})
}

// WriteHTTPError is writeError for plain net/http handlers (the live upgrade).
func WriteHTTPError(w http.ResponseWriter, err error) {
	ce := clientError(err)
	status, ok := statusOf[ce.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(mustJSON(errorBody{Error: errorDetail{Code: ce.Code, Message: ce.Message}}))
}

func logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}
