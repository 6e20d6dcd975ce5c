package tomcat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// PostgresBin is where Debian's postgresql-15 package puts the server.
const PostgresBin = "/usr/lib/postgresql/15/bin"

// JDBCDriver is Debian's libpostgresql-jdbc-java, for Tomcat's JDBCStore.
const JDBCDriver = "/usr/share/java/postgresql.jar"

// Postgres is a private PostgreSQL server on 127.0.0.1, in a folder of its
// own, holding a database "sessions" with Tomcat's JDBCStore table.
type Postgres struct {
	dir  string
	Port int
	as   []string // the command prefix that runs as the server's user
}

// PostgresInstalled says why PostgreSQL and its JDBC driver cannot be
// used here, or nil.
func PostgresInstalled() error {
	if _, err := os.Stat(filepath.Join(PostgresBin, "pg_ctl")); err != nil {
		return fmt.Errorf("PostgreSQL 15 is not installed (Debian package postgresql): %v", err)
	}
	if _, err := os.Stat(JDBCDriver); err != nil {
		return fmt.Errorf("the PostgreSQL JDBC driver is not installed (Debian package libpostgresql-jdbc-java): %v", err)
	}
	return nil
}

// StartPostgres makes a new cluster and starts it. PostgreSQL refuses to
// run as root: as root, the server runs as the postgres user.
func StartPostgres(ctx context.Context) (*Postgres, error) {
	if err := PostgresInstalled(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cohort-pg-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	pg := &Postgres{dir: dir, Port: port}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("running as root, and there is no postgres user to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		pg.as = []string{"runuser", "-u", "postgres", "--"}
	}
	data := filepath.Join(dir, "data")
	steps := [][]string{
		{filepath.Join(PostgresBin, "initdb"), "-D", data, "-U", "cohort", "--auth=trust", "-E", "UTF8", "--no-sync"},
		{filepath.Join(PostgresBin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "120", "start",
			"-o", fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off -c log_statement=mod", port, dir)},
	}
	for _, s := range steps {
		if out, err := pg.run(ctx, s...); err != nil {
			pg.Stop()
			return nil, fmt.Errorf("%s: %v\n%s", filepath.Base(s[0]), err, out)
		}
	}
	if _, err := pg.SQL(ctx, "postgres", "CREATE DATABASE sessions"); err != nil {
		pg.Stop()
		return nil, err
	}
	if _, err := pg.SQL(ctx, "sessions", `CREATE TABLE tomcat_sessions (
		session_id varchar(100) NOT NULL PRIMARY KEY, valid_session char(1) NOT NULL,
		max_inactive integer NOT NULL, last_access bigint NOT NULL,
		app_name varchar(255), session_data bytea)`); err != nil {
		pg.Stop()
		return nil, err
	}
	return pg, nil
}

func (pg *Postgres) run(ctx context.Context, args ...string) ([]byte, error) {
	args = append(append([]string(nil), pg.as...), args...)
	return exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
}

// SQL runs a statement with psql and returns what it printed (unaligned,
// tuples only).
func (pg *Postgres) SQL(ctx context.Context, db, stmt string) (string, error) {
	out, err := exec.CommandContext(ctx, filepath.Join(PostgresBin, "psql"), "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port),
		"-U", "cohort", "-d", db, "-At", "-v", "ON_ERROR_STOP=1", "-c", stmt).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql %q: %v\n%s", stmt, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// LogFile is the server's log, a line each statement that changes data
// (log_statement=mod): a write to it is the event a test waits on.
func (pg *Postgres) LogFile() string { return filepath.Join(pg.dir, "log") }

// StoredSessions counts the sessions the JDBCStore holds.
func (pg *Postgres) StoredSessions(ctx context.Context) (int, error) {
	out, err := pg.SQL(ctx, "sessions", "SELECT count(*) FROM tomcat_sessions")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(out)
}

// JDBCManager is the context's elements for a PersistentManager on a
// DataSourceStore (Tomcat 10.1's JDBC store) in pg, through a pooled
// DataSource of the context: sessions idle for swapIdle seconds or more
// are swapped out to the database and read back by their next request;
// all are saved at a stop and loaded at the next start. The engine must
// check often (Config.BackgroundDelay).
func (pg *Postgres) JDBCManager(swapIdle int) string {
	return fmt.Sprintf(`<Resource name="jdbc/sessions" auth="Container" type="javax.sql.DataSource"
            driverClassName="org.postgresql.Driver" url="jdbc:postgresql://127.0.0.1:%d/sessions"
            username="cohort" password="" maxTotal="16" maxIdle="4"/>
          <Manager className="org.apache.catalina.session.PersistentManager" saveOnRestart="true"
            maxIdleSwap="%d" minIdleSwap="0" maxIdleBackup="-1" processExpiresFrequency="1" persistAuthentication="true">
            <Store className="org.apache.catalina.session.DataSourceStore" dataSourceName="jdbc/sessions" localDataSource="true"
                sessionTable="tomcat_sessions" sessionIdCol="session_id" sessionDataCol="session_data"
                sessionValidCol="valid_session" sessionMaxInactiveCol="max_inactive"
                sessionLastAccessedCol="last_access" sessionAppCol="app_name"/>
          </Manager>`, pg.Port, swapIdle)
}

// Stop stops the server and removes its folder.
func (pg *Postgres) Stop() {
	data := filepath.Join(pg.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		pg.run(context.Background(), filepath.Join(PostgresBin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
	}
	os.RemoveAll(pg.dir)
}
