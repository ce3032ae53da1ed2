// Command dbusers converges the IAM-authenticated users of one database (one iteration of the
// provision state machine's ProvisionDatabases Map). Connections are pooled across invocations.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/dbconn"
	"github.com/ssoflow/ssoflow/functions/internal/dbuser"
	"github.com/ssoflow/ssoflow/functions/internal/dbusers"
	"github.com/ssoflow/ssoflow/functions/internal/lambdaenv"
	"github.com/ssoflow/ssoflow/functions/internal/logging"
)

func main() {
	env := lambdaenv.New()
	log := logging.Default(env.Optional(envnames.LogLevel, "info"))
	fail := func(msg string, err error) {
		log.Error("cannot start: "+msg, "error", err)
		os.Exit(1)
	}
	var dbs []dbuser.DatabaseConfig
	if err := json.Unmarshal([]byte(env.Require(envnames.Databases)), &dbs); err != nil {
		fail(envnames.Databases+" is not a JSON list of databases", err)
	}
	if err := env.Err(); err != nil {
		fail("configuration", err)
	}
	cfg, err := awsconf.Load(context.Background())
	if err != nil {
		fail("AWS configuration", err)
	}
	h, err := dbusers.New(dbs, dbconn.NewCache(cfg.Credentials, nil), dbusers.Connection(env.Optional(envnames.DBCAFile, "")), log)
	if err != nil {
		fail("databases", err)
	}
	lambda.Start(h.Handle)
}
