package modetest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// The demo data source is a real SQLite database held in memory, with deterministic Parch &
// Posey data. Generating it costs a noticeable time under the race detector, so it is generated
// once per process into a private database, serialized, and every pooled connection of every
// emulator deserializes its own copy of that image (a memcpy). The data is static, so copies never
// diverge; connections are query_only, so SQL written through the API cannot change the data.
// Each emulator owns its pool and closes it in Close: nothing outlives the emulator.

// Row counts of the generated Parch & Posey tables.
const (
	numRegions   = 4
	numSalesReps = 50
	numAccounts  = 351
	numOrders    = 12000
	numWebEvents = 20000
)

var baseImage struct {
	mu  sync.Mutex
	img []byte
}

// parchAndPoseyImage returns the serialized demo database, generating it on first use.
func parchAndPoseyImage(ctx context.Context) ([]byte, error) {
	baseImage.mu.Lock()
	defer baseImage.mu.Unlock()
	if baseImage.img != nil {
		return baseImage.img, nil
	}
	db := sql.OpenDB(imageConnector{})
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("open demo database: %w", err)
	}
	defer conn.Close()
	if err := loadParchAndPosey(ctx, conn); err != nil {
		return nil, err
	}
	var img []byte
	err = conn.Raw(func(dc any) error {
		s, ok := dc.(interface{ Serialize() ([]byte, error) })
		if !ok {
			return errors.New("sqlite driver cannot serialize")
		}
		var err error
		img, err = s.Serialize()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("serialize demo database: %w", err)
	}
	baseImage.img = img
	return img, nil
}

// imageConnector opens plain private in-memory connections (used to build the image).
type imageConnector struct{}

func (imageConnector) Connect(context.Context) (driver.Conn, error) {
	return (&sqlite.Driver{}).Open(":memory:")
}

func (imageConnector) Driver() driver.Driver { return &sqlite.Driver{} }

// datasetConnector opens connections holding a copy of the demo image, plus the big_rows view.
type datasetConnector struct {
	img     []byte
	bigRows int
}

func (c datasetConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := (&sqlite.Driver{}).Open(":memory:")
	if err != nil {
		return nil, fmt.Errorf("open demo database: %w", err)
	}
	d, ok := dc.(interface{ Deserialize([]byte) error })
	if !ok {
		dc.Close()
		return nil, errors.New("sqlite driver cannot deserialize")
	}
	if err := d.Deserialize(c.img); err != nil {
		dc.Close()
		return nil, fmt.Errorf("load demo database: %w", err)
	}
	ex, ok := dc.(driver.ExecerContext)
	if !ok {
		dc.Close()
		return nil, errors.New("sqlite driver cannot exec")
	}
	stmts := []string{}
	if c.bigRows > 0 {
		stmts = append(stmts, bigRowsView(c.bigRows))
	}
	stmts = append(stmts, "PRAGMA query_only = 1")
	for _, s := range stmts {
		if _, err := ex.ExecContext(ctx, s, nil); err != nil {
			dc.Close()
			return nil, fmt.Errorf("prepare demo database: %w", err)
		}
	}
	return dc, nil
}

func (datasetConnector) Driver() driver.Driver { return &sqlite.Driver{} }

// bigRowsView is a view over a recursive CTE: SQLite produces its rows one by one as a cursor asks
// for them, so a result of millions of rows is generated while streaming, never stored.
func bigRowsView(n int) string {
	return fmt.Sprintf(`CREATE TEMP VIEW big_rows AS
WITH RECURSIVE seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < %d)
SELECT id,
       1001 + (id * 7919 %% %d) * 10 AS account_id,
       strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 1388534400 + id * 37, 'unixepoch') AS occurred_at,
       (id * 7877 %% 100000) / 100.0 AS amount_usd,
       'row-' || id AS label
FROM seq`, n, numAccounts)
}

// dataset is the demo data source's database: a pool of query_only connections.
type dataset struct {
	db *sql.DB
}

func openDataset(ctx context.Context, bigRows int) (*dataset, error) {
	img, err := parchAndPoseyImage(ctx)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(datasetConnector{img: img, bigRows: bigRows})
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(2)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open demo database: %w", err)
	}
	return &dataset{db: db}, nil
}

func (d *dataset) Close() error {
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("close demo database: %w", err)
	}
	return nil
}

const parchAndPoseySchema = `
CREATE TABLE region (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE sales_reps (id INTEGER PRIMARY KEY, name TEXT NOT NULL, region_id INTEGER NOT NULL REFERENCES region(id));
CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, website TEXT, lat REAL, long REAL,
  primary_poc TEXT, sales_rep_id INTEGER REFERENCES sales_reps(id));
CREATE TABLE orders (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), occurred_at TEXT NOT NULL,
  standard_qty INTEGER, gloss_qty INTEGER, poster_qty INTEGER, total INTEGER,
  standard_amt_usd REAL, gloss_amt_usd REAL, poster_amt_usd REAL, total_amt_usd REAL);
CREATE TABLE web_events (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), occurred_at TEXT NOT NULL,
  channel TEXT NOT NULL);
CREATE INDEX orders_account_id ON orders(account_id);
CREATE INDEX web_events_account_id ON web_events(account_id);
`

var (
	regionNames = []string{"Northeast", "Midwest", "Southeast", "West"}
	firstNames  = []string{"Samuel", "Eugena", "Tia", "Delilah", "Rosalie", "Kathleen", "Derrick", "Arica", "Calvin",
		"Maren", "Georgianna", "Cliff", "Charles", "Cara", "Micha", "Moon", "Julio", "Elba", "Hilma", "Sibyl",
		"Marquetta", "Dorotha", "Babette", "Silvana", "Elwood", "Gianna", "Nakesha", "Michel", "Saran", "Renetta"}
	lastNames = []string{"Racine", "Ascencio", "Amerine", "Cassella", "Duchene", "Hanover", "Boswell", "Stephens",
		"Carrozza", "Eidson", "Lenz", "Meisner", "Bucholz", "Roa", "Halvorson", "Obrien", "Dipasquale", "Gleason",
		"Lasalle", "Millspaugh", "Lemay", "Mattox", "Trotter", "Vaught", "Shadrick", "Vandivier", "Bohlen", "Whitley"}
	companyHeads = []string{"Walmart", "Exxon", "Apple", "Berkshire", "McKesson", "United", "CVS", "General",
		"AT&T", "Ford", "AmerisourceBergen", "Chevron", "Cardinal", "Costco", "Verizon", "Kroger", "Express",
		"Wells", "Bank", "Home", "Phillips", "Boeing", "Microsoft", "Citigroup", "Comcast", "Johnson", "Dow",
		"Intel", "Lockheed", "Target", "Humana", "Valero", "Pfizer", "Lowe's", "Sysco", "FedEx", "Disney",
		"PepsiCo", "Prudential", "Caterpillar", "Oracle", "Honeywell", "Delta", "Aetna", "Nike", "Abbott"}
	companyTails = []string{"", " Holdings", " Group", " Health", " Energy", " Financial", " Systems", " Foods"}
	channels     = []string{"direct", "direct", "direct", "facebook", "organic", "adwords", "banner", "twitter"}
)

// Prices of Parch & Posey's three paper types, in USD per sheet.
const (
	standardPrice = 4.99
	glossPrice    = 7.49
	posterPrice   = 8.12
)

// loadParchAndPosey creates and fills the demo tables. Everything derives from a fixed seed, so
// every emulator holds the same rows and a query answers the same every time.
func loadParchAndPosey(ctx context.Context, db *sql.Conn) error {
	if _, err := db.ExecContext(ctx, parchAndPoseySchema); err != nil {
		return fmt.Errorf("create demo schema: %w", err)
	}
	rng := rand.New(rand.NewPCG(20151006, 42))
	b := newBulkInserter(ctx, db)
	for i, name := range regionNames {
		b.add("region", "id, name", []any{i + 1, name})
	}
	for i := range numSalesReps {
		name := firstNames[(i*7)%len(firstNames)] + " " + lastNames[(i*11)%len(lastNames)]
		b.add("sales_reps", "id, name, region_id", []any{321500 + i, name, i%numRegions + 1})
	}
	seen := map[string]int{}
	for i := range numAccounts {
		name := companyHeads[i%len(companyHeads)] + companyTails[(i/len(companyHeads))%len(companyTails)]
		if n := seen[name]; n > 0 {
			name += " " + strconv.Itoa(n+1)
		}
		seen[name]++
		site := "www." + strings.NewReplacer(" ", "", "'", "", "&", "").Replace(strings.ToLower(name)) + ".com"
		poc := firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))]
		lat := 25 + rng.Float64()*23
		long := -(70 + rng.Float64()*52)
		b.add("accounts", "id, name, website, lat, long, primary_poc, sales_rep_id",
			[]any{1001 + i*10, name, site, round(lat, 8), round(long, 8), poc, 321500 + rng.IntN(numSalesReps)})
	}
	start := time.Date(2013, 12, 4, 4, 22, 44, 0, time.UTC)
	span := int64(time.Date(2017, 1, 2, 0, 0, 0, 0, time.UTC).Sub(start) / time.Second)
	for i := range numOrders {
		account := 1001 + rng.IntN(numAccounts)*10
		at := start.Add(time.Duration(rng.Int64N(span)) * time.Second)
		std, gloss, poster := rng.IntN(500), rng.IntN(200), rng.IntN(150)
		if rng.IntN(10) == 0 { // a few large orders
			std, gloss, poster = std*10, gloss*8, poster*6
		}
		stdAmt, glossAmt, posterAmt := round(float64(std)*standardPrice, 2), round(float64(gloss)*glossPrice, 2), round(float64(poster)*posterPrice, 2)
		b.add("orders", "id, account_id, occurred_at, standard_qty, gloss_qty, poster_qty, total, standard_amt_usd, gloss_amt_usd, poster_amt_usd, total_amt_usd",
			[]any{i + 1, account, formatTime(at), std, gloss, poster, std + gloss + poster, stdAmt, glossAmt, posterAmt, round(stdAmt+glossAmt+posterAmt, 2)})
	}
	for i := range numWebEvents {
		account := 1001 + rng.IntN(numAccounts)*10
		at := start.Add(time.Duration(rng.Int64N(span)) * time.Second)
		b.add("web_events", "id, account_id, occurred_at, channel", []any{i + 1, account, formatTime(at), channels[rng.IntN(len(channels))]})
	}
	if err := b.flushAll(); err != nil {
		return err
	}
	return nil
}

// bulkInserter batches rows into multi-row INSERT statements inside one transaction per table.
type bulkInserter struct {
	ctx     context.Context
	db      *sql.Conn
	table   string
	columns string
	nCols   int
	args    []any
	rows    int
	err     error
}

const bulkRows = 200

func newBulkInserter(ctx context.Context, db *sql.Conn) *bulkInserter {
	return &bulkInserter{ctx: ctx, db: db}
}

func (b *bulkInserter) add(table, columns string, values []any) {
	if b.err != nil {
		return
	}
	if table != b.table {
		b.flush()
		b.table, b.columns, b.nCols = table, columns, len(values)
	}
	b.args = append(b.args, values...)
	b.rows++
	if b.rows == bulkRows {
		b.flush()
	}
}

func (b *bulkInserter) flush() {
	if b.err != nil || b.rows == 0 {
		return
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", b.nCols), ",") + ")"
	stmt := "INSERT INTO " + b.table + " (" + b.columns + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+",", b.rows), ",")
	if _, err := b.db.ExecContext(b.ctx, stmt, b.args...); err != nil {
		b.err = fmt.Errorf("insert into %s: %w", b.table, err)
	}
	b.args, b.rows = b.args[:0], 0
}

func (b *bulkInserter) flushAll() error {
	b.flush()
	return b.err
}

func round(f float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	v := f * p
	if v < 0 {
		return float64(int64(v-0.5)) / p
	}
	return float64(int64(v+0.5)) / p
}
