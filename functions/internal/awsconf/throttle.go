package awsconf

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
)

// ThrottledMessage is the log message of a throttled Identity Center call (identity store or
// sso-admin): the deployment's metric filter counts these lines for the dashboard, so the words
// are a contract with infra (the "identity center throttled" filter).
const ThrottledMessage = "identity center throttled"

// LogThrottling logs every throttled attempt of an SDK call, before the SDK retries it: for the
// identity store and sso-admin as ThrottledMessage with "api" and "op", for other services as
// "aws throttled". Identity Center's APIs share one rate for the whole instance, so these lines
// say who is spending it.
func LogThrottling(log *slog.Logger) func(*middleware.Stack) error {
	throttles := retry.IsErrorThrottles(retry.DefaultThrottles)
	return func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("ssoflowLogThrottling",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if err != nil && throttles.IsErrorThrottle(err) == aws.TrueTernary {
					msg, api := "aws throttled", awsmiddleware.GetServiceID(ctx)
					switch api {
					case "identitystore":
						msg = ThrottledMessage
					case "SSO Admin":
						msg, api = ThrottledMessage, "sso-admin"
					}
					log.WarnContext(ctx, msg, "api", api, "op", awsmiddleware.GetOperationName(ctx))
				}
				return out, md, err
			}), middleware.Before)
	}
}
