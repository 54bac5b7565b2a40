package modetest

import (
	"encoding/json"
	"net/http"
)

// modeError is Mode's error body.
type modeError struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// errorID maps a status to the id Mode sends with it.
func errorID(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusUnprocessableEntity:
		return "unprocessable_entity"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "service_unavailable"
	case http.StatusBadGateway:
		return "bad_gateway"
	case http.StatusGatewayTimeout:
		return "gateway_timeout"
	}
	if status >= 500 {
		return "internal_server_error"
	}
	return "bad_request"
}

// defaultMessage is the message sent when a fault asks for a bare status.
func defaultMessage(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "Unauthorized. Please check your API token and secret."
	case http.StatusTooManyRequests:
		return "Rate limit exceeded. Please retry later."
	case http.StatusServiceUnavailable:
		return "Service temporarily unavailable. Please retry later."
	}
	if status >= 500 {
		return "Something went wrong on our end. Please retry later."
	}
	return http.StatusText(status)
}

// writeError answers Mode's error body with this status.
func writeError(w http.ResponseWriter, status int, message string) {
	if message == "" {
		message = defaultMessage(status)
	}
	body, _ := json.Marshal(modeError{ID: errorID(status), Message: message})
	h := w.Header()
	h.Set("Content-Type", halContentType)
	h.Del("Content-Encoding")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func notFound(w http.ResponseWriter, what string) {
	writeError(w, http.StatusNotFound, what+" not found")
}

func badRequest(w http.ResponseWriter, message string) {
	writeError(w, http.StatusBadRequest, message)
}
