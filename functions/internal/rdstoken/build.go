package rdstoken

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BuildAt builds a token exactly as feature/rds/auth.BuildAuthToken does (same request, same SDK
// SigV4 presigner, 15-minute expiry) but signed at the given time instead of the current one.
// BuildAuthToken offers no clock option; tests and the emulator use BuildAt to make tokens that
// are already expired or signed in the future. Production code uses auth.BuildAuthToken.
func BuildAt(ctx context.Context, endpoint, region, dbUser string, creds aws.Credentials, signTime time.Time) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+endpoint, nil)
	if err != nil {
		return "", fmt.Errorf("build token request for %s: %w", endpoint, err)
	}
	values := req.URL.Query()
	values.Set(paramAction, ActionValue)
	values.Set(paramDBUser, dbUser)
	values.Set(paramExpires, fmt.Sprint(int(MaxExpires/time.Second)))
	req.URL.RawQuery = values.Encode()
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, emptyPayloadHash, Service, region, signTime.UTC())
	if err != nil {
		return "", fmt.Errorf("presign token for %s@%s: %w", dbUser, endpoint, err)
	}
	return strings.TrimPrefix(signed, "https://"), nil
}
