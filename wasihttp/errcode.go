package wasihttp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/capability/httpclient"
)

// errorCodeNames are the cases of wasi:http/types' error-code, in
// declaration order (their index is what crosses the canonical ABI).
var errorCodeNames = [...]string{
	"DNS-timeout",
	"DNS-error",
	"destination-not-found",
	"destination-unavailable",
	"destination-IP-prohibited",
	"destination-IP-unroutable",
	"connection-refused",
	"connection-terminated",
	"connection-timeout",
	"connection-read-timeout",
	"connection-write-timeout",
	"connection-limit-reached",
	"TLS-protocol-error",
	"TLS-certificate-error",
	"TLS-alert-received",
	"HTTP-request-denied",
	"HTTP-request-length-required",
	"HTTP-request-body-size",
	"HTTP-request-method-invalid",
	"HTTP-request-URI-invalid",
	"HTTP-request-URI-too-long",
	"HTTP-request-header-section-size",
	"HTTP-request-header-size",
	"HTTP-request-trailer-section-size",
	"HTTP-request-trailer-size",
	"HTTP-response-incomplete",
	"HTTP-response-header-section-size",
	"HTTP-response-header-size",
	"HTTP-response-body-size",
	"HTTP-response-trailer-section-size",
	"HTTP-response-trailer-size",
	"HTTP-response-transfer-coding",
	"HTTP-response-content-coding",
	"HTTP-response-timeout",
	"HTTP-upgrade-failed",
	"HTTP-protocol-error",
	"loop-detected",
	"configuration-error",
	"internal-error",
}

// The error-code cases the host makes.
const (
	codeDNSError            = 1
	codeConnectionRefused   = 6
	codeConnectionTerm      = 7
	codeConnectionTimeout   = 8
	codeTLSProtocolError    = 12
	codeTLSCertificateError = 13
	codeTLSAlertReceived    = 14
	codeRequestDenied       = 15
	codeRequestBodySize     = 17
	codeRequestMethod       = 18
	codeRequestURIInvalid   = 19
	codeResponseBodySize    = 28
	codeProtocolError       = 35
	codeInternalError       = 38
)

// errorCode is an error-code value: its case and payload (the canonical
// form of the case's type, nil for a case without one). As a Go error it
// crosses output streams (http-error-code finds it in an io-error).
type errorCode struct {
	Case    uint32
	Payload canonical.Value
}

func (e *errorCode) value() canonical.Variant {
	return canonical.Variant{Case: e.Case, Value: e.Payload}
}

// name is the case's WIT name.
func (e *errorCode) name() string {
	if int(e.Case) < len(errorCodeNames) {
		return errorCodeNames[e.Case]
	}
	return fmt.Sprintf("error-code(%d)", e.Case)
}

func (e *errorCode) Error() string {
	if d := describePayload(e.Payload); d != "" {
		return e.name() + ": " + d
	}
	return e.name()
}

// describePayload renders a payload for messages: the strings and numbers
// it holds.
func describePayload(v canonical.Value) string {
	switch v := v.(type) {
	case nil:
		return ""
	case canonical.Option:
		if !v.Some {
			return ""
		}
		return describePayload(v.Value)
	case canonical.Record:
		s := ""
		for _, f := range v {
			if d := describePayload(f); d != "" {
				if s != "" {
					s += ", "
				}
				s += d
			}
		}
		return s
	case string:
		return v
	}
	return fmt.Sprint(v)
}

func internalError(msg string) *errorCode {
	return &errorCode{Case: codeInternalError, Payload: canonical.Some(msg)}
}

func optU64(n int64) canonical.Option {
	if n < 0 {
		return canonical.None
	}
	return canonical.Some(uint64(n))
}

// errorCodeOf decodes an error-code value given by the guest.
func errorCodeOf(v canonical.Value) (*errorCode, error) {
	vr, ok := v.(canonical.Variant)
	if !ok || int(vr.Case) >= len(errorCodeNames) {
		return nil, fmt.Errorf("wasihttp: %v is not an error-code", v)
	}
	return &errorCode{Case: vr.Case, Payload: vr.Value}, nil
}

// clientErrorCode maps an error of httpclient.Client.Do to the error-code
// the guest sees.
func clientErrorCode(err error, bodyLen int) *errorCode {
	var dns *net.DNSError
	var hostErr *httpclient.HostNotAllowedError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostnameErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &hostErr):
		return &errorCode{Case: codeRequestDenied}
	case errors.Is(err, httpclient.ErrTimeout):
		return &errorCode{Case: codeConnectionTimeout}
	case errors.Is(err, httpclient.ErrResponseTooLarge):
		return &errorCode{Case: codeResponseBodySize, Payload: canonical.None}
	case errors.Is(err, httpclient.ErrRequestTooLarge):
		return &errorCode{Case: codeRequestBodySize, Payload: optU64(int64(bodyLen))}
	case errors.As(err, &dns):
		return &errorCode{Case: codeDNSError, Payload: canonical.Record{canonical.Some(dns.Err), canonical.None}}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &errorCode{Case: codeConnectionRefused}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return &errorCode{Case: codeConnectionTerm}
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostnameErr), errors.As(err, &invalidCert):
		return &errorCode{Case: codeTLSCertificateError}
	case errors.As(err, &alert):
		return &errorCode{Case: codeTLSAlertReceived, Payload: canonical.Record{canonical.Some(uint8(alert)), canonical.Some(alert.Error())}}
	case errors.As(err, &recordErr):
		return &errorCode{Case: codeTLSProtocolError}
	}
	return internalError(err.Error())
}
