// simdjson_peer.cpp - DynamoDB stream events to plain NDJSON (or CSV) with simdjson's DOM API.
//
// What a competent simdjson user writes: load_many() over the file (concatenated or
// newline-separated documents, read whole into a padded buffer by simdjson), then walk each
// document's DOM and write the record line in ddbstream's shape and field order:
//   {"eventName","eventID","SequenceNumber","ApproximateCreationDateTime","userIdentity"?,
//    "Keys","NewImage","OldImage"}
// N is written as the exact text of its JSON string (DynamoDB sends numbers as strings), so
// no digits are lost. Sets become arrays, B stays base64 text.
//
// usage: simdjson_peer [--csv COL,COL,...] [--batch BYTES] [--one-thread] [--impl] [FILE]   (stdin without FILE)
// --csv: ddbstream --format csv --columns COLS (item: NewImage, OldImage for REMOVE, else Keys).
// Built with -pthread (as simdjson's CMake package does), load_many runs stage 1 of the next
// batch on a second thread; --one-thread turns that off (parser.threaded = false).
//
// Differences from ddbstream, all in the peer's favour: no AttributeValue grammar checks
// (N text, base64, one tag), and records are only read from {"Records":[...]} documents.
#include <simdjson.h>

#include <cinttypes>
#include <string>
#include <string_view>
#include <vector>

#include "out.h"

using namespace simdjson;

[[noreturn]] static void die(const char *what)
{
    fprintf(stderr, "simdjson_peer: %s\n", what);
    exit(1);
}

static void put_sv(obuf *o, std::string_view s) { ob_jstr(o, s.data(), s.size()); }

static void plain(dom::element e, obuf *o);

// An object of AttributeValues (an image, or an M): keys as they are, values made plain.
static void plain_map(dom::object m, obuf *o)
{
    bool first = true;
    ob_ch(o, '{');
    for (dom::key_value_pair kv : m) {
        if (!first) ob_ch(o, ',');
        first = false;
        put_sv(o, kv.key);
        ob_ch(o, ':');
        plain(kv.value, o);
    }
    ob_ch(o, '}');
}

// A set: members are strings; raw = write the text bare (NS: numbers as their exact text).
static void plain_set(dom::array a, obuf *o, bool raw)
{
    bool first = true;
    ob_ch(o, '[');
    for (dom::element x : a) {
        std::string_view s = x.get_string();
        if (!first) ob_ch(o, ',');
        first = false;
        if (raw) ob_put(o, s.data(), s.size());
        else put_sv(o, s);
    }
    ob_ch(o, ']');
}

// One AttributeValue {"T": v} to its plain JSON value. The tag is told apart by its length
// and first byte, as any hand-written switch would.
static void plain(dom::element e, obuf *o)
{
    dom::object av = e.get_object();
    auto it = av.begin();
    if (!(it != av.end())) die("empty AttributeValue");
    std::string_view t = it.key();
    dom::element v = it.value();
    if (t.size() == 1) {
        switch (t[0]) {
        case 'S': case 'B': put_sv(o, v.get_string()); return;
        case 'N': { std::string_view s = v.get_string(); ob_put(o, s.data(), s.size()); return; }
        case 'M': plain_map(v.get_object(), o); return;
        case 'L': {
            bool first = true;
            ob_ch(o, '[');
            for (dom::element x : v.get_array()) {
                if (!first) ob_ch(o, ',');
                first = false;
                plain(x, o);
            }
            ob_ch(o, ']');
            return;
        }
        }
    } else if (t == "SS" || t == "BS") { plain_set(v.get_array(), o, false); return; }
    else if (t == "NS") { plain_set(v.get_array(), o, true); return; }
    else if (t == "BOOL") { ob_z(o, bool(v.get_bool()) ? "true" : "false"); return; }
    else if (t == "NULL") { ob_z(o, "null"); return; }
    die("unknown AttributeValue tag");
}

// ApproximateCreationDateTime: integers exactly; a double through %.17g (simdjson's DOM
// keeps no number text - the corpus has integer seconds only); a string stays a string.
static void put_time(obuf *o, dom::element t, bool quote_strings)
{
    char b[40];
    int n;
    switch (t.type()) {
    case dom::element_type::INT64: n = snprintf(b, sizeof b, "%" PRId64, int64_t(t)); break;
    case dom::element_type::UINT64: n = snprintf(b, sizeof b, "%" PRIu64, uint64_t(t)); break;
    case dom::element_type::DOUBLE: n = snprintf(b, sizeof b, "%.17g", double(t)); break;
    case dom::element_type::STRING: {
        std::string_view s = t.get_string();
        if (quote_strings) put_sv(o, s); else ob_put(o, s.data(), s.size());
        return;
    }
    default: die("bad ApproximateCreationDateTime");
    }
    ob_put(o, b, size_t(n));
}

// A present, non-null field of obj, or false.
static bool field(dom::object obj, const char *k, dom::element &out)
{
    return !obj.at_key(k).get(out) && !out.is_null();
}

static void record_line(dom::object r, obuf *o)
{
    static const char *const imgs[3] = { "Keys", "NewImage", "OldImage" };
    dom::element x, d;
    bool first = true;
    auto key = [&](const char *k) {   // ,"k": with the comma after the first field
        if (!first) ob_ch(o, ',');
        first = false;
        ob_ch(o, '"'); ob_z(o, k); ob_put(o, "\":", 2);
    };
    ob_ch(o, '{');
    if (field(r, "eventName", x)) { key("eventName"); put_sv(o, x.get_string()); }
    if (field(r, "eventID", x)) { key("eventID"); put_sv(o, x.get_string()); }
    if (!field(r, "dynamodb", d)) die("record without dynamodb");
    dom::object dd = d.get_object();
    if (field(dd, "SequenceNumber", x)) { key("SequenceNumber"); put_sv(o, x.get_string()); }
    if (field(dd, "ApproximateCreationDateTime", x)) { key("ApproximateCreationDateTime"); put_time(o, x, true); }
    if (field(r, "userIdentity", x)) { key("userIdentity"); std::string m = minify(x); ob_put(o, m.data(), m.size()); }
    for (const char *k : imgs)
        if (field(dd, k, x)) { key(k); plain_map(x.get_object(), o); }
    ob_put(o, "}\n", 2);
}

// CSV: the columns, and which of them name record metadata instead of item attributes.
struct csv_cols {
    std::vector<std::string> names;
    std::vector<int> meta;   // 0 attribute, 1 eventName, 2 eventID, 3 SequenceNumber, 4 time
    std::vector<obuf> cell;  // per record: each column's text (reused, never freed)
    std::vector<char> have;
};

static void csv_header(const csv_cols &c, obuf *o)
{
    for (size_t i = 0; i < c.names.size(); i++) {
        if (i) ob_ch(o, ',');
        ob_csv(o, c.names[i].data(), c.names[i].size());
    }
    ob_ch(o, '\n');
}

// A whole-cell value: S decoded text, N/B text, BOOL true/false, NULL empty, and M, L and
// sets as compact plain JSON (what ddbstream puts in such a cell).
static void csv_value(dom::element e, obuf *o)
{
    dom::object av = e.get_object();
    auto it = av.begin();
    if (!(it != av.end())) die("empty AttributeValue");
    std::string_view t = it.key();
    dom::element v = it.value();
    if (t == "S" || t == "N" || t == "B") { std::string_view s = v.get_string(); ob_put(o, s.data(), s.size()); }
    else if (t == "BOOL") ob_z(o, bool(v.get_bool()) ? "true" : "false");
    else if (t == "NULL") {}
    else plain(e, o);
}

static void csv_row(dom::object r, csv_cols &c, obuf *o)
{
    dom::element x, d, img;
    size_t n = c.names.size();
    for (size_t i = 0; i < n; i++) { c.cell[i].n = 0; c.have[i] = 0; }
    if (!field(r, "dynamodb", d)) die("record without dynamodb");
    dom::object dd = d.get_object();
    for (size_t i = 0; i < n; i++) {
        static const char *const names[5] = { "", "eventName", "eventID", "SequenceNumber", "" };
        if (c.meta[i] == 0) continue;
        bool ok = c.meta[i] == 4 ? field(dd, "ApproximateCreationDateTime", x)
                : c.meta[i] == 3 ? field(dd, names[3], x) : field(r, names[c.meta[i]], x);
        if (!ok) continue;
        if (c.meta[i] == 4) put_time(&c.cell[i], x, false);
        else { std::string_view s = x.get_string(); ob_put(&c.cell[i], s.data(), s.size()); }
    }
    // the item: NewImage, OldImage for REMOVE, else Keys
    dom::element ev;
    bool remove = field(r, "eventName", ev) && std::string_view(ev.get_string()) == "REMOVE";
    if (field(dd, remove ? "OldImage" : "NewImage", img) || field(dd, "Keys", img)) {
        // one pass over the item, each attribute matched against the columns
        for (dom::key_value_pair kv : dom::object(img)) {
            for (size_t i = 0; i < n; i++) {
                if (c.meta[i] || c.have[i] || kv.key != c.names[i]) continue;
                c.have[i] = 1;
                csv_value(kv.value, &c.cell[i]);
                break;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (i) ob_ch(o, ',');
        ob_csv(o, c.cell[i].p, c.cell[i].n);
    }
    ob_ch(o, '\n');
}

int main(int argc, char **argv)
{
    const char *path = nullptr, *cols = nullptr;
    bool threaded = true;
    size_t batch = dom::DEFAULT_BATCH_SIZE;  // 1 MB, simdjson's sweet spot; > largest document here
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--csv") && i + 1 < argc) cols = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = size_t(atol(argv[++i]));
        else if (!strcmp(argv[i], "--one-thread")) threaded = false;
        else if (!strcmp(argv[i], "--impl")) {  // which kernel the library picked at run time
            printf("%s\n", get_active_implementation()->name().c_str());
            return 0;
        }
        else path = argv[i];
    }
    csv_cols c;
    if (cols) {
        std::string s(cols);
        for (size_t a = 0, b; a <= s.size(); a = b + 1) {
            b = s.find(',', a);
            if (b == std::string::npos) b = s.size();
            c.names.push_back(s.substr(a, b - a));
        }
        for (auto &nm : c.names)
            c.meta.push_back(nm == "eventName" ? 1 : nm == "eventID" ? 2 : nm == "SequenceNumber" ? 3
                             : nm == "ApproximateCreationDateTime" ? 4 : 0);
        c.cell.resize(c.names.size(), obuf{ nullptr, 0, 0 });
        c.have.resize(c.names.size());
        csv_header(c, &g_out);
    }
    try {
        dom::parser parser;
        dom::document_stream docs;
        parser.threaded = threaded;
        padded_string input;  // stdin: read whole, as load_many does for a file
        if (path) {
            if (parser.load_many(path, batch).get(docs)) die("cannot read input");
        } else {
            size_t n;
            char *p = read_all(nullptr, &n, 0);
            input = padded_string(p, n);
            free(p);
            if (parser.parse_many(input, batch).get(docs)) die("cannot parse input");
        }
        for (auto doc : docs) {
            dom::element root;
            if (auto err = doc.get(root)) { fprintf(stderr, "simdjson_peer: %s\n", error_message(err)); return 1; }
            for (dom::element rec : root["Records"].get_array()) {
                if (cols) csv_row(rec.get_object(), c, &g_out);
                else record_line(rec.get_object(), &g_out);
                out_maybe_flush();
            }
        }
    } catch (const simdjson_error &e) {
        fprintf(stderr, "simdjson_peer: %s\n", e.what());
        return 1;
    }
    out_flush();
    return fflush(stdout) ? 3 : 0;
}
