/* A fast reader for the common shape of seed files; PyYAML reads everything else. Also,
 * near the end, the common case of loader.validate's checks: a record's properties,
 * props(); the text of its content hash, content_json(); whole records, records(); and
 * the ends of relationships, resolve().
 *
 * scan(text, path, YMap, YList, max_scalar[, first_line]) returns what loader.yamlread's
 * PyYAML path returns for the same text (the same YMap/YList/str/None tree, the same
 * positions, their lines counted from first_line: a piece of a file, loader/pieces.py), or
 * None when the text is not of the shape below: then the caller parses it with PyYAML,
 * which also reports every error. So this reader never decides that an input is wrong.
 *
 * The shape: a top-level block mapping at column 0 whose values are scalars or block
 * sequences of block mappings ("- key: value" items), whose values are scalars or flow
 * sequences ([a, "b"]) of scalars. A scalar is plain (one line, no ": " or " #" inside,
 * not starting with an indicator), single-quoted or double-quoted (one line, simple
 * escapes only), or empty. Keys are [A-Za-z_][A-Za-z0-9_]*. Comments and blank lines are
 * skipped. Lines longer than max_scalar, tabs, carriage returns, the YAML 1.1 line
 * breaks (U+0085, U+2028, U+2029), byte order marks, non-printable characters,
 * duplicate keys, anchors, aliases, tags, block scalars, flow mappings, document markers
 * and directives all mean "not this shape". tests/test_scan.py checks the results against PyYAML's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <datetime.h>

/* ---- Pos: stands in for a yaml.Node where only its start (and a sequence's items) is
 * read: node.start_mark.line / .column (0-based, in characters) and node.value. */

typedef struct {
    PyObject_HEAD
    Py_ssize_t line;
    Py_ssize_t column;
    PyObject *value; /* a list of Pos for a sequence, else None */
} Pos;

static void Pos_dealloc(Pos *self) {
    Py_XDECREF(self->value);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Pos_start_mark(PyObject *self, void *closure) {
    (void)closure;
    Py_INCREF(self);
    return self;
}

static PyMemberDef Pos_members[] = {
    {"line", T_PYSSIZET, offsetof(Pos, line), READONLY, "0-based line"},
    {"column", T_PYSSIZET, offsetof(Pos, column), READONLY, "0-based column"},
    {"value", T_OBJECT, offsetof(Pos, value), READONLY, "items of a sequence"},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef Pos_getset[] = {
    {"start_mark", Pos_start_mark, NULL, "itself: line and column", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject PosType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "loader._scan.Pos",
    .tp_basicsize = sizeof(Pos),
    .tp_dealloc = (destructor)Pos_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The start of a value read by scan().",
    .tp_members = Pos_members,
    .tp_getset = Pos_getset,
};

static PyObject *new_pos(Py_ssize_t line, Py_ssize_t column, PyObject *value) {
    Pos *pos = PyObject_New(Pos, &PosType);
    if (pos == NULL) return NULL;
    pos->line = line;
    pos->column = column;
    if (value == NULL) value = Py_None;
    Py_INCREF(value);
    pos->value = value;
    return (PyObject *)pos;
}

/* ---- Places: stands in for the dict of a mapping's pairs (key -> (key node, value
 * node)) that loader.yamlread keeps, which reads it only through get() and items().
 * It keeps the positions as numbers and makes the Pos of a pair only when it is read;
 * a value that is a sequence keeps its own node (which its YList's _src holds too). */

typedef struct {
    Py_ssize_t kline, kcolumn, vline, vcolumn;
    PyObject *key;   /* a reference */
    PyObject *vnode; /* a reference, or NULL: a scalar's value */
} Place;

typedef struct {
    PyObject_HEAD
    Place *at;
    Py_ssize_t size, capacity;
} Places;

static void Places_dealloc(Places *self) {
    for (Py_ssize_t i = 0; i < self->size; i++) {
        Py_DECREF(self->at[i].key);
        Py_XDECREF(self->at[i].vnode);
    }
    PyMem_Free(self->at);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject PlacesType;

static PyObject *new_places(void) {
    Places *p = PyObject_New(Places, &PlacesType);
    if (p == NULL) return NULL;
    p->at = NULL;
    p->size = p->capacity = 0;
    return (PyObject *)p;
}

static int places_add(PyObject *self, PyObject *key, Py_ssize_t kline, Py_ssize_t kcolumn,
                      Py_ssize_t vline, Py_ssize_t vcolumn, PyObject *vnode) {
    Places *p = (Places *)self;
    if (p->size == p->capacity) {
        Py_ssize_t capacity = p->capacity ? p->capacity * 2 : 8;
        Place *at = PyMem_Realloc(p->at, (size_t)capacity * sizeof(Place));
        if (at == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        p->at = at;
        p->capacity = capacity;
    }
    Place *one = &p->at[p->size++];
    one->kline = kline;
    one->kcolumn = kcolumn;
    one->vline = vline;
    one->vcolumn = vcolumn;
    one->key = Py_NewRef(key);
    one->vnode = Py_XNewRef(vnode);
    return 0;
}

/* the place of key (a str), or NULL when absent (no error is set) */
static Place *places_find(Places *p, PyObject *key) {
    for (Py_ssize_t i = 0; i < p->size; i++)
        if (p->at[i].key == key) return &p->at[i];
    if (!PyUnicode_Check(key)) return NULL;
    for (Py_ssize_t i = 0; i < p->size; i++)
        if (PyUnicode_Compare(p->at[i].key, key) == 0) return &p->at[i];
    return NULL;
}

static PyObject *place_pair(Place *one) { /* (key node, value node) */
    PyObject *knode = new_pos(one->kline, one->kcolumn, NULL);
    PyObject *vnode = one->vnode ? Py_NewRef(one->vnode) : new_pos(one->vline, one->vcolumn, NULL);
    PyObject *pair = knode && vnode ? PyTuple_Pack(2, knode, vnode) : NULL;
    Py_XDECREF(knode);
    Py_XDECREF(vnode);
    return pair;
}

static PyObject *Places_get(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get(key[, default])");
        return NULL;
    }
    Place *one = places_find((Places *)self, args[0]);
    if (one == NULL) return Py_NewRef(nargs == 2 ? args[1] : Py_None);
    return place_pair(one);
}

static PyObject *Places_items(PyObject *self, PyObject *unused) {
    (void)unused;
    Places *p = (Places *)self;
    PyObject *out = PyList_New(p->size);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < p->size; i++) {
        PyObject *pair = place_pair(&p->at[i]);
        PyObject *item = pair ? PyTuple_Pack(2, p->at[i].key, pair) : NULL;
        Py_XDECREF(pair);
        if (item == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, item);
    }
    return out;
}

static PyMethodDef Places_methods[] = {
    {"get", (PyCFunction)(void (*)(void))Places_get, METH_FASTCALL, "pairs.get(key[, default])"},
    {"items", Places_items, METH_NOARGS, "[(key, (key node, value node)), ...] in order"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PlacesType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "loader._scan.Places",
    .tp_basicsize = sizeof(Places),
    .tp_dealloc = (destructor)Places_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The places of a mapping's keys and values, read by scan().",
    .tp_methods = Places_methods,
};

/* ---- the scanner ---- */

typedef struct {
    PyObject *text;
    int kind;
    const void *data;
    Py_ssize_t length;
    PyObject *path;
    PyObject *ymap, *ylist;
    Py_ssize_t max_scalar;
    Py_ssize_t first_line; /* the 0-based line of the text's first line in its file */
    PyObject *src_name; /* "_src" */
} Scan;

#define CH(s, i) PyUnicode_READ((s)->kind, (s)->data, (i))
#define NOT_THIS_SHAPE 1 /* the text is valid or not, but not for this reader */

static int printable(Py_UCS4 c) {
    if (c == '\n') return 1;
    if (c >= 0x20 && c <= 0x7E) return 1;
    if (c < 0xA0) return 0; /* C0, DEL, C1 (U+0085 included) */
    if (c == 0x2028 || c == 0x2029 || c == 0xFEFF) return 0;
    if (c <= 0xD7FF) return 1;
    if (c >= 0xE000 && c <= 0xFFFD) return 1;
    return c >= 0x10000 && c <= 0x10FFFF;
}

/* indicators that may not start a plain scalar here (YAML's, plus '-' and ':' always) */
static int indicator(Py_UCS4 c) {
    switch (c) {
    case '-': case '?': case ':': case ',': case '[': case ']': case '{': case '}':
    case '#': case '&': case '*': case '!': case '|': case '>': case '\'': case '"':
    case '%': case '@': case '`':
        return 1;
    default:
        return 0;
    }
}

static int plain_start(Py_UCS4 c) {
    return c != ' ' && !indicator(c) && !(c > 0x7F && Py_UNICODE_ISSPACE(c));
}

static int key_char(Py_UCS4 c, int first) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_') return 1;
    return !first && c >= '0' && c <= '9';
}

static Py_UCS4 unescape(Py_UCS4 c) {
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case ' ': return ' ';
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case '0': return 0;
    case 'a': return 0x07;
    case 'b': return 0x08;
    case 'e': return 0x1B;
    case 'f': return 0x0C;
    case 'v': return 0x0B;
    case 'N': return 0x85;
    case '_': return 0xA0;
    case 'L': return 0x2028;
    case 'P': return 0x2029;
    default: return (Py_UCS4)-1;
    }
}

/* After a value: spaces, then the end of the line or a comment (a '#' after a space). */
static int rest_is_blank(Scan *s, Py_ssize_t i, Py_ssize_t eol) {
    Py_ssize_t start = i;
    while (i < eol && CH(s, i) == ' ') i++;
    return i == eol || (CH(s, i) == '#' && i > start);
}

/* A double-quoted scalar at s[i] == '"' on one line: its value in *out and the index
 * after the closing quote in *end; NOT_THIS_SHAPE when it is not that simple. */
static int double_quoted(Scan *s, Py_ssize_t i, Py_ssize_t eol, PyObject **out,
                         Py_ssize_t *end) {
    Py_ssize_t j = i + 1;
    int escapes = 0;
    while (j < eol) {
        Py_UCS4 c = CH(s, j);
        if (c == '"') break;
        if (c == '\\') {
            if (j + 1 >= eol || unescape(CH(s, j + 1)) == (Py_UCS4)-1) return NOT_THIS_SHAPE;
            escapes = 1;
            j += 2;
            continue;
        }
        j++;
    }
    if (j >= eol) return NOT_THIS_SHAPE; /* not closed on this line */
    *end = j + 1;
    if (!escapes) {
        *out = PyUnicode_Substring(s->text, i + 1, j);
        return *out == NULL ? -1 : 0;
    }
    Py_UCS4 *buffer = PyMem_New(Py_UCS4, j - i);
    if (buffer == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t n = 0;
    for (Py_ssize_t k = i + 1; k < j; k++) {
        Py_UCS4 c = CH(s, k);
        if (c == '\\') c = unescape(CH(s, ++k));
        buffer[n++] = c;
    }
    *out = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buffer, n);
    PyMem_Free(buffer);
    return *out == NULL ? -1 : 0;
}

static int single_quoted(Scan *s, Py_ssize_t i, Py_ssize_t eol, PyObject **out,
                         Py_ssize_t *end) {
    Py_ssize_t j = i + 1;
    int doubled = 0;
    for (;;) {
        if (j >= eol) return NOT_THIS_SHAPE;
        if (CH(s, j) == '\'') {
            if (j + 1 < eol && CH(s, j + 1) == '\'') {
                doubled = 1;
                j += 2;
                continue;
            }
            break;
        }
        j++;
    }
    *end = j + 1;
    PyObject *value = PyUnicode_Substring(s->text, i + 1, j);
    if (value == NULL) return -1;
    if (doubled) {
        PyObject *two = PyUnicode_FromString("''"), *one = PyUnicode_FromString("'");
        PyObject *replaced = (two && one) ? PyUnicode_Replace(value, two, one, -1) : NULL;
        Py_XDECREF(two);
        Py_XDECREF(one);
        Py_DECREF(value);
        if (replaced == NULL) return -1;
        value = replaced;
    }
    *out = value;
    return 0;
}

/* A plain scalar at s[i]: in a block (flow == 0) it runs to the end of the line or a
 * comment; in a flow sequence (flow == 1) to the next ',' or ']'. Trailing spaces are
 * not part of it. *out is None for YAML's plain nulls. */
static int plain(Scan *s, Py_ssize_t i, Py_ssize_t eol, int flow, PyObject **out,
                 Py_ssize_t *end) {
    if (!plain_start(CH(s, i))) return NOT_THIS_SHAPE;
    Py_ssize_t j = i, last = i; /* last: after the last non-space character */
    while (j < eol) {
        Py_UCS4 c = CH(s, j);
        if (c == '#' && CH(s, j - 1) == ' ') break;
        if (c == ':' && (j + 1 == eol || CH(s, j + 1) == ' ' || flow)) return NOT_THIS_SHAPE;
        if (flow) {
            if (c == ',' || c == ']') break;
            if (c == '[' || c == '{' || c == '}' || c == '"' || c == '\'' || c == '#')
                return NOT_THIS_SHAPE;
        }
        j++;
        if (c != ' ') last = j;
    }
    *end = last;
    PyObject *value = PyUnicode_Substring(s->text, i, last);
    if (value == NULL) return -1;
    Py_ssize_t n = last - i;
    if ((n == 1 && CH(s, i) == '~') ||
        (n == 4 && (PyUnicode_CompareWithASCIIString(value, "null") == 0 ||
                    PyUnicode_CompareWithASCIIString(value, "Null") == 0 ||
                    PyUnicode_CompareWithASCIIString(value, "NULL") == 0))) {
        Py_DECREF(value);
        Py_INCREF(Py_None);
        *out = Py_None;
        return 0;
    }
    /* the only plain scalars SafeLoader resolves to a non-core tag: PyYAML reports them */
    if (PyUnicode_CompareWithASCIIString(value, "=") == 0 ||
        PyUnicode_CompareWithASCIIString(value, "<<") == 0) {
        Py_DECREF(value);
        return NOT_THIS_SHAPE;
    }
    *out = value;
    return 0;
}

static int set_src(Scan *s, PyObject *obj, PyObject *src) {
    if (src == NULL) return -1;
    int rc = PyObject_SetAttr(obj, s->src_name, src);
    Py_DECREF(src);
    return rc;
}

/* A flow sequence at s[i] == '[' on one line: a YList of scalars. */
static int flow_sequence(Scan *s, Py_ssize_t line, Py_ssize_t column, Py_ssize_t i,
                         Py_ssize_t eol, PyObject **out, PyObject **out_node,
                         Py_ssize_t *end) {
    PyObject *list = PyObject_CallNoArgs(s->ylist), *items = PyList_New(0), *node = NULL;
    int rc = -1;
    if (list == NULL || items == NULL) goto done;
    node = new_pos(line, column, items);
    if (node == NULL) goto done;
    Py_ssize_t j = i + 1;
    while (j < eol && CH(s, j) == ' ') j++;
    if (j < eol && CH(s, j) == ']') {
        j++;
    } else {
        for (;;) {
            while (j < eol && CH(s, j) == ' ') j++;
            if (j >= eol) {
                rc = NOT_THIS_SHAPE;
                goto done;
            }
            PyObject *value = NULL;
            Py_ssize_t start = j, after = j;
            int r = CH(s, j) == '"' ? double_quoted(s, j, eol, &value, &after)
                                    : plain(s, j, eol, 1, &value, &after);
            if (r != 0) {
                rc = r;
                goto done;
            }
            PyObject *item = new_pos(line, start - (i - column), NULL);
            if (item == NULL || PyList_Append(list, value) < 0 || PyList_Append(items, item) < 0) {
                Py_XDECREF(item);
                Py_DECREF(value);
                goto done;
            }
            Py_DECREF(item);
            Py_DECREF(value);
            j = after;
            while (j < eol && CH(s, j) == ' ') j++;
            if (j < eol && CH(s, j) == ',') {
                j++;
                continue;
            }
            if (j < eol && CH(s, j) == ']') {
                j++;
                break;
            }
            rc = NOT_THIS_SHAPE;
            goto done;
        }
    }
    PyObject *src = PyTuple_Pack(2, s->path, node);
    if (set_src(s, list, src) < 0) goto done;
    *end = j;
    *out = list;
    *out_node = node;
    list = node = NULL;
    rc = 0;
done:
    Py_XDECREF(list);
    Py_XDECREF(items);
    Py_XDECREF(node);
    return rc;
}

/* A mapping being filled: the YMap, its pairs (key -> (key node, value node)) and node. */
typedef struct {
    PyObject *map, *pairs, *node;
} Open;

static void close_open(Open *o) {
    Py_CLEAR(o->map);
    Py_CLEAR(o->pairs);
    Py_CLEAR(o->node);
}

static int open_map(Scan *s, Open *o, Py_ssize_t line, Py_ssize_t column) {
    close_open(o);
    o->map = PyObject_CallNoArgs(s->ymap);
    o->pairs = new_places();
    o->node = new_pos(line, column, NULL);
    if (o->map == NULL || o->pairs == NULL || o->node == NULL) return -1;
    return set_src(s, o->map, PyTuple_Pack(3, s->path, o->node, o->pairs));
}

/* map[key] = value, and the places of the key and the value (vnode: a sequence's node,
 * else NULL) */
static int put(Open *o, PyObject *key, Py_ssize_t kline, Py_ssize_t kcolumn, PyObject *value,
               Py_ssize_t vline, Py_ssize_t vcolumn, PyObject *vnode) {
    return (PyDict_SetItem(o->map, key, value) < 0 ||
            places_add(o->pairs, key, kline, kcolumn, vline, vcolumn, vnode) < 0) ? -1 : 0;
}

static PyObject *scan_text(Scan *s) {
    for (Py_ssize_t i = 0; i < s->length; i++)
        if (!printable(CH(s, i))) Py_RETURN_NONE;

    Open top = {NULL, NULL, NULL}, item = {NULL, NULL, NULL};
    PyObject *seq = NULL, *seq_items = NULL; /* the open block sequence and its item nodes */
    Py_ssize_t seq_indent = -1, key_indent = -1;
    /* an empty value waits for the next line: a block sequence or null */
    Open *pending = NULL;
    PyObject *pending_key = NULL;
    Py_ssize_t pending_line = 0, pending_kcolumn = 0, pending_column = 0;
    PyObject *result = NULL;
    int shape = 1; /* 0 once the text is known not to be of this shape */

    Py_ssize_t line = s->first_line, start = 0;
    while (start <= s->length && shape) {
        Py_ssize_t eol = start;
        while (eol < s->length && CH(s, eol) != '\n') eol++;
        /* every scalar here is on one line: a line within the limit holds none over it */
        if (eol - start > s->max_scalar) {
            shape = 0;
            break;
        }
        Py_ssize_t i = start, n;
        while (i < eol && CH(s, i) == ' ') i++;
        n = i - start;
        if (i == eol || CH(s, i) == '#') goto next_line; /* blank or comment */

        int dash = 0;
        if (CH(s, i) == '-' && i + 1 < eol && CH(s, i + 1) == ' ') {
            dash = 1;
            i++;
            while (i < eol && CH(s, i) == ' ') i++;
        }
        Py_ssize_t key_start = i;
        if (i >= eol || !key_char(CH(s, i), 1)) {
            shape = 0;
            break;
        }
        while (i < eol && key_char(CH(s, i), 0)) i++;
        if (i >= eol || CH(s, i) != ':' || i - key_start > 1024) {
            shape = 0;
            break;
        }
        Py_ssize_t key_end = i;
        i++; /* the colon */

        if (pending != NULL) {
            if (dash && pending == &top && seq == NULL) { /* a block sequence begins */
                seq = PyObject_CallNoArgs(s->ylist);
                seq_items = PyList_New(0);
                PyObject *node = seq_items ? new_pos(line, n, seq_items) : NULL;
                int bad = seq == NULL || node == NULL ||
                          set_src(s, seq, PyTuple_Pack(2, s->path, node)) < 0 ||
                          put(pending, pending_key, pending_line, pending_kcolumn, seq, line, n,
                              node) < 0;
                Py_XDECREF(node);
                if (bad) goto error;
                seq_indent = n;
            } else if (put(pending, pending_key, pending_line, pending_kcolumn, Py_None,
                           pending_line, pending_column, NULL) < 0) {
                goto error; /* a null, placed just after the key's colon */
            }
            pending = NULL;
            Py_CLEAR(pending_key);
        }

        Open *into;
        if (dash) {
            if (seq == NULL || n != seq_indent) {
                shape = 0;
                break;
            }
            key_indent = key_start - start;
            if (open_map(s, &item, line, key_indent) < 0 || PyList_Append(seq, item.map) < 0 ||
                PyList_Append(seq_items, item.node) < 0)
                goto error;
            into = &item;
        } else if (n == 0) {
            Py_CLEAR(seq);
            Py_CLEAR(seq_items);
            close_open(&item);
            key_indent = -1;
            if (top.map == NULL && open_map(s, &top, line, 0) < 0) goto error;
            into = &top;
        } else if (n == key_indent && item.map != NULL) {
            into = &item;
        } else {
            shape = 0;
            break;
        }

        PyObject *key = PyUnicode_Substring(s->text, key_start, key_end);
        if (key == NULL) goto error;
        int known = PyDict_Contains(into->map, key);
        if (known != 0) { /* a duplicate key: PyYAML's path reports it */
            Py_DECREF(key);
            if (known < 0) goto error;
            shape = 0;
            break;
        }
        Py_ssize_t kcolumn = key_start - start;

        Py_ssize_t v = i;
        while (v < eol && CH(s, v) == ' ') v++;
        if (v == eol || (CH(s, v) == '#' && v > i)) { /* empty: decided by the next line */
            if (PyDict_SetItem(into->map, key, Py_None) < 0) { /* keeps the order */
                Py_DECREF(key);
                goto error;
            }
            pending = into;
            pending_key = key;
            pending_kcolumn = kcolumn;
            pending_line = line;
            pending_column = key_end - start + 1;
            goto next_line;
        }
        PyObject *value = NULL, *vnode = NULL; /* vnode: set here for a flow sequence */
        Py_ssize_t after = v;
        int r;
        if (v == i) { /* "key:value" is not a key and a value */
            r = NOT_THIS_SHAPE;
        } else {
            Py_UCS4 c = CH(s, v);
            if (c == '"')
                r = double_quoted(s, v, eol, &value, &after);
            else if (c == '\'')
                r = single_quoted(s, v, eol, &value, &after);
            else if (c == '[')
                r = flow_sequence(s, line, v - start, v, eol, &value, &vnode, &after);
            else
                r = plain(s, v, eol, 0, &value, &after);
        }
        if (r == 0 && !rest_is_blank(s, after, eol)) {
            Py_DECREF(value);
            Py_CLEAR(vnode);
            r = NOT_THIS_SHAPE;
        }
        if (r != 0) {
            Py_XDECREF(vnode);
            Py_DECREF(key);
            if (r < 0) goto error;
            shape = 0;
            break;
        }
        int bad = put(into, key, line, kcolumn, value, line, v - start, vnode) < 0;
        Py_XDECREF(vnode);
        Py_DECREF(value);
        Py_DECREF(key);
        if (bad) goto error;
    next_line:
        line++;
        start = eol + 1;
    }

    if (shape && top.map != NULL) {
        if (pending != NULL && put(pending, pending_key, pending_line, pending_kcolumn, Py_None,
                                   pending_line, pending_column, NULL) < 0)
            goto error;
        result = top.map;
        Py_INCREF(result);
    } else {
        result = Py_None;
        Py_INCREF(result);
    }
    goto done;
error:
    result = NULL;
done:
    Py_XDECREF(pending_key);
    Py_XDECREF(seq);
    Py_XDECREF(seq_items);
    close_open(&top);
    close_open(&item);
    return result;
}

static PyObject *scan(PyObject *module, PyObject *args) {
    (void)module;
    Scan s;
    s.first_line = 0;
    if (!PyArg_ParseTuple(args, "UUOOn|n:scan", &s.text, &s.path, &s.ymap, &s.ylist,
                          &s.max_scalar, &s.first_line))
        return NULL;
    s.kind = PyUnicode_KIND(s.text);
    s.data = PyUnicode_DATA(s.text);
    s.length = PyUnicode_GET_LENGTH(s.text);
    s.src_name = PyUnicode_InternFromString("_src");
    if (s.src_name == NULL) return NULL;
    PyObject *result = scan_text(&s);
    Py_DECREF(s.src_name);
    return result;
}

/* ---- props(): the common case of loader.validate._FileChecker.properties followed by
 * sources_and_status, for one record the reader gave: the properties it would return,
 * or None whenever anything is not plainly valid. Then the Python code checks the
 * record, and reports what is wrong, so this never decides that an input is wrong
 * either (tests/test_fastcheck.py compares the two on generated records).
 *
 * specs maps a property name to (code, is_list, values, parser, precision_key):
 * the codes below are checked here, any other value type calls parser (the Python
 * one, a ValueProblem meaning None). values is the enum's frozenset, precision_key the
 * name of a date's precision property. */

enum { V_OTHER = 0, V_STRING = 1, V_TEXT = 2, V_ENUM = 3, V_DATE = 4 };

typedef struct {
    PyObject *ylist;
    PyObject *year, *month, *day; /* the precisions */
} Kinds;

/* text without control characters (tab, and for text line breaks, allowed) */
static int clean_text(PyObject *s, int one_line) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= 0x20 || c == '\t') continue;
        if (!one_line && (c == '\n' || c == '\r')) continue;
        return 0;
    }
    return 1;
}

static int digits(int kind, const void *data, Py_ssize_t from, Py_ssize_t count, int *out) {
    int v = 0;
    for (Py_ssize_t i = from; i < from + count; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < '0' || c > '9') return 0;
        v = v * 10 + (int)(c - '0');
    }
    *out = v;
    return 1;
}

/* YYYY, YYYY-MM or YYYY-MM-DD, a real date: a new date and its precision (borrowed) */
static int parse_date(Kinds *k, PyObject *s, PyObject **value, PyObject **precision) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    int year, month = 1, day = 1;
    if (n != 4 && n != 7 && n != 10) return 0;
    if (!digits(kind, data, 0, 4, &year)) return 0;
    if (n >= 7 && (PyUnicode_READ(kind, data, 4) != '-' || !digits(kind, data, 5, 2, &month)))
        return 0;
    if (n == 10 && (PyUnicode_READ(kind, data, 7) != '-' || !digits(kind, data, 8, 2, &day)))
        return 0;
    *value = PyDate_FromDate(year, month, day);
    if (*value == NULL) { /* not a real date (year 0, month 13, 31 April, 29 February) */
        PyErr_Clear();
        return 0;
    }
    *precision = n == 10 ? k->day : n == 7 ? k->month : k->year;
    return 1;
}

/* one scalar of a property: 1 and a new reference in *value (NULL for a null), or 0 */
static int scalar_value(Kinds *k, PyObject *spec, PyObject *raw, PyObject **value,
                        PyObject **precision) {
    *value = NULL;
    if (raw == Py_None) return 1;
    if (!PyUnicode_CheckExact(raw)) return 0; /* a mapping, a list: a problem */
    long code = PyLong_AsLong(PyTuple_GET_ITEM(spec, 0));
    switch (code) {
    case V_STRING:
    case V_TEXT:
        if (!clean_text(raw, code == V_STRING)) return 0;
        Py_INCREF(raw);
        *value = raw;
        return 1;
    case V_ENUM: {
        if (!clean_text(raw, 1)) return 0;
        int in = PySet_Contains(PyTuple_GET_ITEM(spec, 2), raw);
        if (in != 1) {
            if (in < 0) PyErr_Clear();
            return 0;
        }
        Py_INCREF(raw);
        *value = raw;
        return 1;
    }
    case V_DATE:
        return parse_date(k, raw, value, precision);
    default: {
        PyObject *parsed = PyObject_CallOneArg(PyTuple_GET_ITEM(spec, 3), raw);
        if (parsed == NULL) {
            PyErr_Clear();
            return 0;
        }
        *value = parsed;
        return 1;
    }
    }
}

/* props[key] (and props[precision_key]) from one value: 1 done, 0 not plainly valid,
 * -1 error */
static int property(Kinds *k, PyObject *props, PyObject *key, PyObject *spec, PyObject *raw) {
    int is_list = PyObject_IsTrue(PyTuple_GET_ITEM(spec, 1));
    PyObject *precision_key = PyTuple_GET_ITEM(spec, 4);
    PyObject *value = NULL, *precision = NULL;
    if (!is_list) {
        if (PyObject_TypeCheck(raw, (PyTypeObject *)k->ylist)) return 0;
        if (!scalar_value(k, spec, raw, &value, &precision)) return 0;
        if (value == NULL) return 1;
        int rc = PyDict_SetItem(props, key, value);
        Py_DECREF(value);
        if (rc < 0) return -1;
        if (precision != NULL && PyDict_SetItem(props, precision_key, precision) < 0) return -1;
        return 1;
    }
    PyObject *items = NULL, *precisions = NULL;
    int done = 0;
    items = PyList_New(0);
    precisions = PyList_New(0);
    if (items == NULL || precisions == NULL) goto error;
    if (PyObject_TypeCheck(raw, (PyTypeObject *)k->ylist)) {
        Py_ssize_t n = PyList_GET_SIZE(raw);
        for (Py_ssize_t i = 0; i < n; i++) {
            if (!scalar_value(k, spec, PyList_GET_ITEM(raw, i), &value, &precision)) goto out;
            if (value == NULL) continue;
            int rc = PyList_Append(items, value);
            Py_DECREF(value);
            if (rc < 0 || (precision != NULL && PyList_Append(precisions, precision) < 0))
                goto error;
        }
    } else {
        if (!scalar_value(k, spec, raw, &value, &precision)) goto out;
        if (value != NULL) {
            int rc = PyList_Append(items, value);
            Py_DECREF(value);
            if (rc < 0 || (precision != NULL && PyList_Append(precisions, precision) < 0))
                goto error;
        }
    }
    done = 1;
    if (PyList_GET_SIZE(items) == 0) goto out; /* an empty list is left out */
    if (PyDict_SetItem(props, key, items) < 0) goto error;
    if (precision_key != Py_None && PyDict_SetItem(props, precision_key, precisions) < 0)
        goto error;
out:
    Py_DECREF(items);
    Py_DECREF(precisions);
    return done;
error:
    Py_XDECREF(items);
    Py_XDECREF(precisions);
    return -1;
}

static PyObject *year, *month, *day, *sources_key, *status_key; /* interned at import */

/* props() for a record: a new dict, a new reference to None (not plainly valid), or NULL */
static PyObject *check_props(PyObject *ylist, PyObject *record, PyObject *specs,
                             PyObject *required, PyObject *fixed, PyObject *statuses,
                             PyObject *cited) {
    Kinds k = {ylist, year, month, day};
    PyObject *out = PyDict_New(), *sources = NULL;
    if (out == NULL) return NULL;
    Py_ssize_t pos = 0;
    PyObject *key, *raw;
    while (PyDict_Next(record, &pos, &key, &raw)) {
        int in = PySet_Contains(fixed, key);
        if (in < 0) goto error;
        if (in) continue;
        PyObject *spec = PyDict_GetItemWithError(specs, key);
        if (spec == NULL) {
            if (PyErr_Occurred()) goto error;
            goto refuse; /* an unknown property */
        }
        int rc = property(&k, out, key, spec, raw);
        if (rc < 0) goto error;
        if (rc == 0) goto refuse;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(required); i++) {
        int in = PyDict_Contains(out, PyTuple_GET_ITEM(required, i));
        if (in < 0) goto error;
        if (!in) goto refuse;
    }
    raw = PyDict_GetItemWithError(record, sources_key);
    if (raw == NULL && PyErr_Occurred()) goto error;
    if (raw != NULL && raw != Py_None) {
        if (!PyObject_TypeCheck(raw, (PyTypeObject *)k.ylist)) goto refuse;
        Py_ssize_t n = PyList_GET_SIZE(raw);
        for (Py_ssize_t i = 0; i < n; i++)
            if (!PyUnicode_CheckExact(PyList_GET_ITEM(raw, i))) goto refuse;
        if (n > 0) {
            int twice = 0; /* a source listed twice: a few, compared pairwise */
            if (n <= 8) {
                for (Py_ssize_t i = 1; i < n && !twice; i++)
                    for (Py_ssize_t j = 0; j < i && !twice; j++)
                        twice = PyUnicode_Compare(PyList_GET_ITEM(raw, i),
                                                  PyList_GET_ITEM(raw, j)) == 0;
            } else {
                PyObject *unique = PySet_New(raw);
                if (unique == NULL) goto error;
                twice = PySet_GET_SIZE(unique) < n;
                Py_DECREF(unique);
            }
            if (twice) goto refuse;
            sources = PyList_GetSlice(raw, 0, n); /* a plain list */
            if (sources == NULL || PyDict_SetItem(out, sources_key, sources) < 0) goto error;
        }
    }
    raw = PyDict_GetItemWithError(record, status_key);
    if (raw == NULL && PyErr_Occurred()) goto error;
    if (raw != NULL && raw != Py_None) {
        if (!PyUnicode_CheckExact(raw)) goto refuse;
        int in = PySequence_Contains(statuses, raw);
        if (in < 0) goto error;
        if (!in) goto refuse;
        if (PyDict_SetItem(out, status_key, raw) < 0) goto error;
    }
    if (sources != NULL) { /* only now: nothing is recorded for a refused record */
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(sources); i++)
            if (PySet_Add(cited, PyList_GET_ITEM(sources, i)) < 0) goto error;
        Py_DECREF(sources);
    }
    return out;
refuse:
    Py_XDECREF(sources);
    Py_DECREF(out);
    Py_RETURN_NONE;
error:
    Py_XDECREF(sources);
    Py_DECREF(out);
    return NULL;
}

static PyObject *props(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *record, *specs, *required, *fixed, *statuses, *cited, *ylist;
    if (!PyArg_ParseTuple(args, "O!O!O!O!OO!O!:props", &PyDict_Type, &record, &PyDict_Type,
                          &specs, &PyTuple_Type, &required, &PyFrozenSet_Type, &fixed,
                          &statuses, &PySet_Type, &cited, &PyType_Type, &ylist))
        return NULL;
    return check_props(ylist, record, specs, required, fixed, statuses, cited);
}

/* ---- content_json(kind, props): the UTF-8 bytes of loader.validate's _hash_json([kind,
 * props]) (json.dumps with sorted keys, no spaces, non-ASCII kept, a date written as
 * {"date": "YYYY-MM-DD"}), for props of text, whole numbers, booleans, dates and lists
 * of them; None for anything else (a float, say), which the Python encoder then writes.
 * tests/test_fastcheck.py compares the two. */

typedef struct {
    char *data;
    Py_ssize_t size, capacity;
} Buffer;

static int grow(Buffer *b, Py_ssize_t more) {
    if (b->size + more <= b->capacity) return 0;
    Py_ssize_t capacity = (b->capacity + more) * 2;
    char *data = PyMem_Realloc(b->data, (size_t)capacity);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->capacity = capacity;
    return 0;
}

static int put_bytes(Buffer *b, const char *text, Py_ssize_t n) {
    if (grow(b, n) < 0) return -1;
    memcpy(b->data + b->size, text, (size_t)n);
    b->size += n;
    return 0;
}

/* 1 written, 0 not plain (e.g. a lone surrogate), -1 error */
static int put_string(Buffer *b, PyObject *s) {
    Py_ssize_t n;
    const char *text = PyUnicode_AsUTF8AndSize(s, &n);
    if (text == NULL) {
        PyErr_Clear();
        return 0;
    }
    if (grow(b, n * 6 + 2) < 0) return -1; /* at worst every byte as \u00XX */
    char *out = b->data + b->size;
    *out++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\b': *out++ = 'b'; break;
        case '\f': *out++ = 'f'; break;
        case '\n': *out++ = 'n'; break;
        case '\r': *out++ = 'r'; break;
        case '\t': *out++ = 't'; break;
        default: {
            static const char hex[] = "0123456789abcdef";
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
        }
    }
    *out++ = '"';
    b->size = out - b->data;
    return 1;
}

static int put_value(Buffer *b, PyObject *v, int depth) {
    if (PyUnicode_CheckExact(v)) return put_string(b, v);
    if (v == Py_True) return put_bytes(b, "true", 4) < 0 ? -1 : 1;
    if (v == Py_False) return put_bytes(b, "false", 5) < 0 ? -1 : 1;
    if (v == Py_None) return put_bytes(b, "null", 4) < 0 ? -1 : 1;
    if (PyLong_CheckExact(v)) {
        PyObject *text = PyObject_Str(v);
        if (text == NULL) return -1;
        Py_ssize_t n;
        const char *digits_ = PyUnicode_AsUTF8AndSize(text, &n);
        int rc = digits_ == NULL ? -1 : put_bytes(b, digits_, n);
        Py_DECREF(text);
        return rc < 0 ? -1 : 1;
    }
    if (PyDate_CheckExact(v)) {
        char text[32];
        int n = snprintf(text, sizeof text, "{\"date\":\"%04d-%02d-%02d\"}", PyDateTime_GET_YEAR(v),
                         PyDateTime_GET_MONTH(v), PyDateTime_GET_DAY(v));
        return put_bytes(b, text, n) < 0 ? -1 : 1;
    }
    if (PyList_CheckExact(v) && depth < 2) {
        if (put_bytes(b, "[", 1) < 0) return -1;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v); i++) {
            if (i > 0 && put_bytes(b, ",", 1) < 0) return -1;
            int rc = put_value(b, PyList_GET_ITEM(v, i), depth + 1);
            if (rc <= 0) return rc;
        }
        return put_bytes(b, "]", 1) < 0 ? -1 : 1;
    }
    return 0; /* a float, or anything else: the Python encoder */
}

/* content_json() for a str kind and a dict: new bytes, a new None, or NULL */
static PyObject *content_bytes(PyObject *kind, PyObject *props) {
    PyObject *keys = NULL, *result = NULL;
    Buffer b = {NULL, 0, 0};
    int rc;
    if (grow(&b, 256) < 0 || put_bytes(&b, "[", 1) < 0) goto done;
    rc = put_string(&b, kind);
    if (rc <= 0) goto stop;
    if (put_bytes(&b, ",{", 2) < 0) goto done;
    keys = PyDict_Keys(props);
    if (keys == NULL || PyList_Sort(keys) < 0) goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        if (!PyUnicode_CheckExact(key)) goto refuse;
        if (i > 0 && put_bytes(&b, ",", 1) < 0) goto done;
        rc = put_string(&b, key);
        if (rc <= 0) goto stop;
        if (put_bytes(&b, ":", 1) < 0) goto done;
        PyObject *value = PyDict_GetItemWithError(props, key);
        if (value == NULL) {
            if (!PyErr_Occurred()) goto refuse; /* changed meanwhile */
            goto done;
        }
        rc = put_value(&b, value, 0);
        if (rc <= 0) goto stop;
    }
    if (put_bytes(&b, "}]", 2) < 0) goto done;
    result = PyBytes_FromStringAndSize(b.data, b.size);
    goto done;
stop:
    if (rc < 0) goto done;
refuse:
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(keys);
    PyMem_Free(b.data);
    return result;
}

static PyObject *content_json(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *kind, *props;
    if (!PyArg_ParseTuple(args, "UO!:content_json", &kind, &PyDict_Type, &props)) return NULL;
    return content_bytes(kind, props);
}

/* ---- pack_rows(rows, fields): rows as the Bolt protocol's PackStream writes them, each
 * row a map of fields[i] -> row[i], byte for byte as the neo4j driver's Packer writes the
 * same dicts: for exact str, int, float, bool, None, list, dict (str keys) and
 * datetime.date (the driver's Date structure: days since 1970-01-01). Returns (data,
 * ends): the rows' bytes one after another and the offset where each row ends; or None
 * when a row holds anything else (the driver then packs the rows itself: it also reports
 * what it cannot pack). tests/test_packed.py compares the two. */

static int pk_header(Buffer *b, Py_ssize_t n, unsigned char tiny, unsigned char marker) {
    unsigned char h[5];
    Py_ssize_t k;
    if (n < 0x10) {
        h[0] = (unsigned char)(tiny | n);
        k = 1;
    } else if (n < 0x100) {
        h[0] = marker;
        h[1] = (unsigned char)n;
        k = 2;
    } else if (n < 0x10000) {
        h[0] = (unsigned char)(marker + 1);
        h[1] = (unsigned char)(n >> 8);
        h[2] = (unsigned char)n;
        k = 3;
    } else if ((unsigned long long)n < 0x100000000ULL) {
        h[0] = (unsigned char)(marker + 2);
        for (int i = 0; i < 4; i++)
            h[1 + i] = (unsigned char)((unsigned long long)n >> (24 - 8 * i));
        k = 5;
    } else {
        return 0; /* the driver refuses it, with its own message */
    }
    return put_bytes(b, (const char *)h, k) < 0 ? -1 : 1;
}

static int pk_int(Buffer *b, long long v) {
    unsigned char h[9];
    Py_ssize_t k;
    if (v >= -0x10 && v < 0x80) {
        h[0] = (unsigned char)(v & 0xFF);
        k = 1;
    } else if (v >= -0x80 && v < -0x10) {
        h[0] = 0xC8;
        h[1] = (unsigned char)(v & 0xFF);
        k = 2;
    } else if (v >= -0x8000 && v < 0x8000) {
        h[0] = 0xC9;
        k = 3;
    } else if (v >= -0x80000000LL && v < 0x80000000LL) {
        h[0] = 0xCA;
        k = 5;
    } else {
        h[0] = 0xCB;
        k = 9;
    }
    for (Py_ssize_t i = 1; i < k && k > 2; i++)
        h[i] = (unsigned char)(((unsigned long long)v >> (8 * (k - 1 - i))) & 0xFF);
    return put_bytes(b, (const char *)h, k) < 0 ? -1 : 1;
}

/* days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil) */
static long long days_from_civil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

/* 1 written, 0 a value the driver packs instead, -1 error */
static int pk_value(Buffer *b, PyObject *v, int depth) {
    if (PyUnicode_CheckExact(v)) {
        Py_ssize_t n;
        const char *text = PyUnicode_AsUTF8AndSize(v, &n);
        if (text == NULL) { /* a lone surrogate: the driver's error */
            PyErr_Clear();
            return 0;
        }
        int rc = pk_header(b, n, 0x80, 0xD0);
        if (rc <= 0) return rc;
        return put_bytes(b, text, n) < 0 ? -1 : 1;
    }
    if (v == Py_None) return put_bytes(b, "\xC0", 1) < 0 ? -1 : 1;
    if (v == Py_True) return put_bytes(b, "\xC3", 1) < 0 ? -1 : 1;
    if (v == Py_False) return put_bytes(b, "\xC2", 1) < 0 ? -1 : 1;
    if (PyLong_CheckExact(v)) {
        int overflow;
        long long n = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (n == -1 && PyErr_Occurred()) return -1;
        if (overflow || n == LLONG_MAX) return 0; /* out of range: the driver's error */
        return pk_int(b, n);
    }
    if (PyFloat_CheckExact(v)) {
        char h[9];
        h[0] = (char)0xC1;
        if (PyFloat_Pack8(PyFloat_AS_DOUBLE(v), h + 1, 0) < 0) return -1; /* big-endian */
        return put_bytes(b, h, 9) < 0 ? -1 : 1;
    }
    if (PyDate_CheckExact(v)) {
        long long days = days_from_civil(PyDateTime_GET_YEAR(v), PyDateTime_GET_MONTH(v),
                                         PyDateTime_GET_DAY(v));
        if (put_bytes(b, "\xB1" "D", 2) < 0) return -1;
        return pk_int(b, days);
    }
    if (depth >= 8) return 0;
    if (PyList_CheckExact(v)) {
        Py_ssize_t n = PyList_GET_SIZE(v);
        int rc = pk_header(b, n, 0x90, 0xD4);
        for (Py_ssize_t i = 0; rc > 0 && i < n; i++)
            rc = pk_value(b, PyList_GET_ITEM(v, i), depth + 1);
        return rc;
    }
    if (PyDict_CheckExact(v)) {
        Py_ssize_t pos = 0;
        PyObject *key, *item;
        int rc = pk_header(b, PyDict_GET_SIZE(v), 0xA0, 0xD8);
        while (rc > 0 && PyDict_Next(v, &pos, &key, &item)) {
            if (!PyUnicode_CheckExact(key)) return 0;
            rc = pk_value(b, key, depth + 1);
            if (rc > 0) rc = pk_value(b, item, depth + 1);
        }
        return rc;
    }
    return 0;
}

/* one row as a map of fields[j] -> values[j]: 1 written, 0 a value pack_rows leaves to the
 * driver (b is then partly written: the caller cuts it back), -1 error */
static int pk_row(Buffer *b, PyObject *fields, PyObject *const *values) {
    Py_ssize_t width = PyTuple_GET_SIZE(fields);
    int rc = pk_header(b, width, 0xA0, 0xD8);
    for (Py_ssize_t j = 0; rc > 0 && j < width; j++) {
        rc = pk_value(b, PyTuple_GET_ITEM(fields, j), 0);
        if (rc > 0) rc = pk_value(b, values[j], 0);
    }
    return rc;
}

/* ---- RowBuffer(fields): rows packed as pack_rows packs them, one at a time, as they
 * are made (while their values are still in the processor's cache): a spill segment's
 * buffer for a group (loader.spill.SegmentWriter). records() and resolve() append to it
 * directly. */

typedef struct {
    PyObject_HEAD
    PyObject *fields; /* a tuple of str */
    Buffer b;
    Py_ssize_t *ends, count, capacity;
} RowBuffer;

static PyTypeObject RowBufferType;

static int rowbuf_room(RowBuffer *self) { /* room for one more row's end */
    if (self->count < self->capacity) return 0;
    Py_ssize_t capacity = self->capacity * 2 + 64;
    Py_ssize_t *ends = PyMem_Realloc(self->ends, (size_t)capacity * sizeof(Py_ssize_t));
    if (ends == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->ends = ends;
    self->capacity = capacity;
    return 0;
}

/* pack one row (values in the order of fields): 1 packed, 0 a value pack_rows leaves to
 * the driver (nothing kept), -1 error */
static int rowbuf_add(RowBuffer *self, PyObject *const *values) {
    Py_ssize_t before = self->b.size;
    if (rowbuf_room(self) < 0) return -1;
    int rc = pk_row(&self->b, self->fields, values);
    if (rc <= 0) {
        self->b.size = before;
        return rc;
    }
    self->ends[self->count++] = self->b.size;
    return 1;
}

/* one row packed already (by pack_row): 0 kept, -1 error */
static int rowbuf_add_packed(RowBuffer *self, PyObject *row) {
    if (rowbuf_room(self) < 0) return -1;
    if (put_bytes(&self->b, PyBytes_AS_STRING(row), PyBytes_GET_SIZE(row)) < 0) return -1;
    self->ends[self->count++] = self->b.size;
    return 0;
}

/* one row (values in the order of fields) packed as pack_rows packs it: new bytes, a new
 * None (a value pack_rows leaves to the driver), or NULL */
static PyObject *pack_row(PyObject *fields, PyObject *const *values) {
    Buffer b = {NULL, 0, 0};
    int rc = pk_row(&b, fields, values);
    PyObject *out = rc < 0 ? NULL : rc == 0 ? Py_NewRef(Py_None)
                                            : PyBytes_FromStringAndSize(b.data, b.size);
    PyMem_Free(b.data);
    return out;
}

static PyObject *RowBuffer_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    PyObject *fields;
    if (kwds != NULL && PyDict_GET_SIZE(kwds) > 0) {
        PyErr_SetString(PyExc_TypeError, "RowBuffer(fields) takes no keywords");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!:RowBuffer", &PyTuple_Type, &fields)) return NULL;
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(fields); j++)
        if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(fields, j))) {
            PyErr_SetString(PyExc_TypeError, "RowBuffer: fields must be str");
            return NULL;
        }
    RowBuffer *self = (RowBuffer *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->fields = Py_NewRef(fields);
    return (PyObject *)self;
}

static void RowBuffer_dealloc(RowBuffer *self) {
    Py_XDECREF(self->fields);
    PyMem_Free(self->b.data);
    PyMem_Free(self->ends);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t RowBuffer_len(RowBuffer *self) { return self->count; }

static PyObject *RowBuffer_append(RowBuffer *self, PyObject *row) {
    if (!PyTuple_CheckExact(row) || PyTuple_GET_SIZE(row) != PyTuple_GET_SIZE(self->fields))
        Py_RETURN_FALSE;
    int rc = rowbuf_add(self, &PyTuple_GET_ITEM(row, 0));
    if (rc < 0) return NULL;
    return PyBool_FromLong(rc);
}

static PyObject *RowBuffer_append_packed(RowBuffer *self, PyObject *row) {
    if (!PyBytes_CheckExact(row)) {
        PyErr_SetString(PyExc_TypeError, "append_packed: a row packed by pack_row (bytes)");
        return NULL;
    }
    if (rowbuf_add_packed(self, row) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *RowBuffer_take(RowBuffer *self, PyObject *unused) {
    (void)unused;
    PyObject *data = PyBytes_FromStringAndSize(self->b.data, self->b.size);
    PyObject *ends = data == NULL ? NULL : PyList_New(self->count);
    for (Py_ssize_t i = 0; ends != NULL && i < self->count; i++) {
        PyObject *end = PyLong_FromSsize_t(self->ends[i]);
        if (end == NULL) Py_CLEAR(ends);
        else PyList_SET_ITEM(ends, i, end);
    }
    PyObject *out = ends == NULL ? NULL : PyTuple_Pack(2, data, ends);
    Py_XDECREF(data);
    Py_XDECREF(ends);
    if (out != NULL) {
        self->b.size = 0;
        self->count = 0;
    }
    return out;
}

static PyMethodDef RowBuffer_methods[] = {
    {"append", (PyCFunction)RowBuffer_append, METH_O,
     "append(row): pack a tuple of the fields' values; False (nothing kept) when a value is "
     "not of the types pack_rows packs."},
    {"append_packed", (PyCFunction)RowBuffer_append_packed, METH_O,
     "append_packed(row): a row of the same fields that records() packed already (bytes)."},
    {"take", (PyCFunction)RowBuffer_take, METH_NOARGS,
     "take(): (data, ends) as pack_rows returns them, and empty the buffer."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef RowBuffer_members[] = {
    {"fields", T_OBJECT, offsetof(RowBuffer, fields), READONLY, "the names of a row's values"},
    {NULL, 0, 0, 0, NULL},
};

static PySequenceMethods RowBuffer_sequence = {.sq_length = (lenfunc)RowBuffer_len};

static PyTypeObject RowBufferType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "loader._scan.RowBuffer",
    .tp_basicsize = sizeof(RowBuffer),
    .tp_dealloc = (destructor)RowBuffer_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "RowBuffer(fields): rows packed one at a time as pack_rows packs them.",
    .tp_methods = RowBuffer_methods,
    .tp_members = RowBuffer_members,
    .tp_as_sequence = &RowBuffer_sequence,
    .tp_new = RowBuffer_new,
};

static PyObject *pack_rows(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *rows, *fields;
    if (!PyArg_ParseTuple(args, "O!O!:pack_rows", &PyList_Type, &rows, &PyTuple_Type, &fields))
        return NULL;
    RowBuffer *buffer = (RowBuffer *)PyObject_CallOneArg((PyObject *)&RowBufferType, fields);
    if (buffer == NULL) return NULL;
    int rc = 1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(rows) && rc > 0; i++) {
        PyObject *row = PyList_GET_ITEM(rows, i);
        rc = PyTuple_CheckExact(row) && PyTuple_GET_SIZE(row) == PyTuple_GET_SIZE(fields)
                 ? rowbuf_add(buffer, &PyTuple_GET_ITEM(row, 0))
                 : 0;
    }
    PyObject *out = rc < 0 ? NULL : rc == 0 ? Py_NewRef(Py_None) : RowBuffer_take(buffer, NULL);
    Py_DECREF(buffer);
    return out;
}

/* ---- unpack_rows(data, fields): pack_rows' rows read back as tuples (a spilled chunk
 * that the exporters, the prune's keep lists and the tests read as values). Reads only
 * what pack_rows writes; anything else is a ValueError. */

typedef struct {
    const unsigned char *p, *end;
} Reader;

static int rd_need(Reader *r, Py_ssize_t n) {
    if (r->end - r->p >= n) return 0;
    PyErr_SetString(PyExc_ValueError, "unpack_rows: the data ends inside a value");
    return -1;
}

static unsigned long long rd_uint(Reader *r, int n) {
    unsigned long long v = 0;
    for (int i = 0; i < n; i++) v = (v << 8) | r->p[i];
    r->p += n;
    return v;
}

/* the size after a marker of a sized type; -1 with an error set */
static Py_ssize_t rd_size(Reader *r, unsigned char m, unsigned char tiny, unsigned char marker) {
    if ((m & 0xF0) == tiny) return m & 0x0F;
    int n = m == marker ? 1 : m == marker + 1 ? 2 : 4;
    if (rd_need(r, n) < 0) return -1;
    return (Py_ssize_t)rd_uint(r, n);
}

/* civil_from_days, the inverse of days_from_civil */
static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d) {
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long long)yoe + era * 400 + (*m <= 2);
}

static PyObject *rd_value(Reader *r, int depth);

static int rd_int(Reader *r, unsigned char m, long long *out) {
    if (m < 0x80 || m >= 0xF0) {
        *out = (signed char)m;
        return 0;
    }
    int n = m == 0xC8 ? 1 : m == 0xC9 ? 2 : m == 0xCA ? 4 : m == 0xCB ? 8 : 0;
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "unpack_rows: not an integer");
        return -1;
    }
    if (rd_need(r, n) < 0) return -1;
    unsigned long long v = rd_uint(r, n);
    if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~0ULL << (8 * n); /* sign-extend */
    *out = (long long)v;
    return 0;
}

static PyObject *rd_value(Reader *r, int depth) {
    if (depth > 8) {
        PyErr_SetString(PyExc_ValueError, "unpack_rows: nested too deep");
        return NULL;
    }
    if (rd_need(r, 1) < 0) return NULL;
    unsigned char m = *r->p++;
    if (m < 0x80 || m >= 0xF0 || (m >= 0xC8 && m <= 0xCB)) {
        long long v;
        if (rd_int(r, m, &v) < 0) return NULL;
        return PyLong_FromLongLong(v);
    }
    if ((m & 0xF0) == 0x80 || (m >= 0xD0 && m <= 0xD2)) {
        Py_ssize_t n = rd_size(r, m, 0x80, 0xD0);
        if (n < 0 || rd_need(r, n) < 0) return NULL;
        PyObject *text = PyUnicode_DecodeUTF8((const char *)r->p, n, "strict");
        r->p += n;
        return text;
    }
    if ((m & 0xF0) == 0x90 || (m >= 0xD4 && m <= 0xD6)) {
        Py_ssize_t n = rd_size(r, m, 0x90, 0xD4);
        if (n < 0) return NULL;
        if (rd_need(r, n) < 0) return NULL; /* every item takes a byte at least */
        PyObject *list = PyList_New(n);
        if (list == NULL) return NULL;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *item = rd_value(r, depth + 1);
            if (item == NULL) {
                Py_DECREF(list);
                return NULL;
            }
            PyList_SET_ITEM(list, i, item);
        }
        return list;
    }
    if ((m & 0xF0) == 0xA0 || (m >= 0xD8 && m <= 0xDA)) {
        Py_ssize_t n = rd_size(r, m, 0xA0, 0xD8);
        if (n < 0) return NULL;
        PyObject *dict = PyDict_New();
        if (dict == NULL) return NULL;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *key = rd_value(r, depth + 1), *item = NULL;
            if (key != NULL && !PyUnicode_CheckExact(key)) {
                PyErr_SetString(PyExc_ValueError, "unpack_rows: a map key is not a string");
                Py_CLEAR(key);
            }
            if (key != NULL) item = rd_value(r, depth + 1);
            int rc = item == NULL ? -1 : PyDict_SetItem(dict, key, item);
            Py_XDECREF(key);
            Py_XDECREF(item);
            if (rc < 0) {
                Py_DECREF(dict);
                return NULL;
            }
        }
        return dict;
    }
    switch (m) {
    case 0xC0: Py_RETURN_NONE;
    case 0xC2: Py_RETURN_FALSE;
    case 0xC3: Py_RETURN_TRUE;
    case 0xC1: {
        if (rd_need(r, 8) < 0) return NULL;
        double v = PyFloat_Unpack8((const char *)r->p, 0);
        r->p += 8;
        if (v == -1.0 && PyErr_Occurred()) return NULL;
        return PyFloat_FromDouble(v);
    }
    case 0xB1: { /* a Date: 'D', days since 1970-01-01 */
        long long days, y;
        unsigned mo, d;
        if (rd_need(r, 2) < 0) return NULL;
        if (r->p[0] != 'D') break;
        m = r->p[1];
        r->p += 2;
        if (rd_int(r, m, &days) < 0) return NULL;
        if (days < -719162 || days > 2932896) { /* 0001-01-01 .. 9999-12-31 */
            PyErr_SetString(PyExc_ValueError, "unpack_rows: a date out of range");
            return NULL;
        }
        civil_from_days(days, &y, &mo, &d);
        return PyDate_FromDate((int)y, (int)mo, (int)d);
    }
    default: break;
    }
    PyErr_Format(PyExc_ValueError, "unpack_rows: a value it does not read (marker 0x%02X)", m);
    return NULL;
}

static PyObject *unpack_rows(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer view;
    PyObject *fields, *rows = NULL;
    if (!PyArg_ParseTuple(args, "y*O!:unpack_rows", &view, &PyTuple_Type, &fields)) return NULL;
    Reader r = {(const unsigned char *)view.buf, (const unsigned char *)view.buf + view.len};
    Py_ssize_t width = PyTuple_GET_SIZE(fields);
    rows = PyList_New(0);
    while (rows != NULL && r.p < r.end) {
        unsigned char m = *r.p++;
        int map = (m & 0xF0) == 0xA0 || (m >= 0xD8 && m <= 0xDA);
        Py_ssize_t n = map ? rd_size(&r, m, 0xA0, 0xD8) : -2;
        if (n != width) {
            if (n != -1)
                PyErr_SetString(PyExc_ValueError, "unpack_rows: a row is not a map of the fields");
            Py_CLEAR(rows);
            break;
        }
        PyObject *row = PyTuple_New(width);
        if (row == NULL) {
            Py_CLEAR(rows);
            break;
        }
        for (Py_ssize_t j = 0; j < width && row != NULL; j++) {
            PyObject *key = rd_value(&r, 1), *value = NULL;
            int same = key == NULL              ? -1
                       : !PyUnicode_Check(key) ? 0
                       : PyUnicode_Compare(key, PyTuple_GET_ITEM(fields, j)) == 0;
            Py_XDECREF(key);
            if (same == 0)
                PyErr_SetString(PyExc_ValueError, "unpack_rows: a row's keys are not the fields");
            if (same == 1) value = rd_value(&r, 1);
            if (value == NULL) {
                Py_CLEAR(row);
                break;
            }
            PyTuple_SET_ITEM(row, j, value);
        }
        if (row == NULL || PyList_Append(rows, row) < 0) {
            Py_XDECREF(row);
            Py_CLEAR(rows);
            break;
        }
        Py_DECREF(row);
    }
    PyBuffer_Release(&view);
    return rows;
}

/* ---- records(ctx, items, start, keep): validate._FileChecker.node() (or rel()) over
 * items[start:] for as long as each record is plainly valid and read by scan(), with
 * what node()/rel() would keep: node ids, labels and places, and the rows in the
 * segment writer's buffers. It stops at the first record it does not take, which the
 * Python code then checks (and reports on), or after a row that fills its buffer, which
 * the Python code then writes out. Returns (the index to go on from, buffer full).
 *
 * ctx is the tuple validate._FileChecker.fast_records builds: (is_rel, specs, fixed,
 * statuses, cited, YList, ids, labels, places, buffers, chunk, key_of, blake2b,
 * pending, node_fields: a node row's fields, packed in a RowBuffer, or None: kept in a
 * list, rel_fields: a relationship row's, packed into its waiting row, or None). A
 * waiting relationship is (type, from, to, key, props, content hash, 6 places), or with
 * the row packed: (type, from, to, key, the row (bytes), None, 6 places). specs maps
 * a type to (name, table, required, sources_required) for nodes,
 * (name, table, required, claim, identity) for relationships. places is a bytearray
 * of 64-bit (line, id line, id column); key_of(props, identity) gives a relationship's
 * identity key when one of its identity properties is set. */

static PyObject *s_src_name, *id_key, *type_key, *from_key, *to_key, *key_key, *value_marks_key, *mark_key,
    *digest_size_key, *hexdigest_name, *digest_name, *empty_text;

static int valid_id(PyObject *s) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (n < 1 || n > 128) return 0;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
        if (i > 0 && (c == '.' || c == '_' || c == ':' || c == '/' || c == '-')) continue;
        return 0;
    }
    return 1;
}

/* the 1-based (line, column) of record[key]'s value, or of the record for a NULL key or
 * an absent one, as YMap.places gives them, from the record's _src (a tuple of 3): 1, 0
 * when the record was not made by scan(), -1 error */
static int place(PyObject *src, PyObject *key, Py_ssize_t *line, Py_ssize_t *column) {
    PyObject *pairs = PyTuple_GET_ITEM(src, 2), *node = PyTuple_GET_ITEM(src, 1);
    if (Py_TYPE(pairs) != &PlacesType) return 0;
    Place *one = key == NULL ? NULL : places_find((Places *)pairs, key);
    if (one != NULL && one->vnode == NULL) {
        *line = one->vline + 1;
        *column = one->vcolumn + 1;
        return 1;
    }
    if (one != NULL) node = one->vnode;
    if (Py_TYPE(node) != &PosType) return 0;
    *line = ((Pos *)node)->line + 1;
    *column = ((Pos *)node)->column + 1;
    return 1;
}

static int put_places(PyObject *places, Py_ssize_t a, Py_ssize_t b, Py_ssize_t c) {
    Py_ssize_t n = PyByteArray_GET_SIZE(places);
    if (PyByteArray_Resize(places, n + 3 * (Py_ssize_t)sizeof(long long)) < 0) return -1;
    long long v[3] = {a, b, c};
    memcpy(PyByteArray_AS_STRING(places) + n, v, sizeof v);
    return 0;
}

/* the content hash of (kind, props): new text, a new None (not written here), or NULL */
/* blake2b(data, digest_size=size).<method>(): hashlib's BLAKE2b, as the Python code calls it */
static PyObject *blake2b_of(PyObject *blake2b, PyObject *data, long size, PyObject *method) {
    PyObject *size_ = PyLong_FromLong(size);
    PyObject *names = size_ == NULL ? NULL : PyTuple_Pack(1, digest_size_key);
    PyObject *args[2] = {data, size_};
    PyObject *hash = names == NULL ? NULL : PyObject_Vectorcall(blake2b, args, 1, names);
    Py_XDECREF(names);
    Py_XDECREF(size_);
    if (hash == NULL) return NULL;
    PyObject *out = PyObject_CallMethodNoArgs(hash, method);
    Py_DECREF(hash);
    return out;
}

static PyObject *content_digest(PyObject *blake2b, PyObject *kind, PyObject *props) {
    PyObject *data = content_bytes(kind, props);
    if (data == NULL || data == Py_None) return data;
    PyObject *text = blake2b_of(blake2b, data, 12, hexdigest_name);
    Py_DECREF(data);
    return text;
}

/* a row to its group's buffer in buffers: a RowBuffer (packed there, or packed already:
 * bytes; made when the group has none and fields is not None) or a list. 1 kept (2: the
 * buffer is full), 0 not (a
 * value the RowBuffer does not pack: nothing kept), -1 error */
static int append_row(PyObject *buffers, PyObject *group, PyObject *row, Py_ssize_t chunk,
                      PyObject *fields) {
    PyObject *buffer = PyDict_GetItemWithError(buffers, group);
    if (buffer == NULL) {
        if (PyErr_Occurred()) return -1;
        buffer = fields == Py_None ? PyList_New(0)
                                   : PyObject_CallOneArg((PyObject *)&RowBufferType, fields);
        if (buffer == NULL) return -1;
        int rc = PyDict_SetItem(buffers, group, buffer);
        Py_DECREF(buffer);
        if (rc < 0) return -1;
    }
    if (PyBytes_CheckExact(row)) { /* packed already: only a RowBuffer takes it */
        if (Py_TYPE(buffer) != &RowBufferType) return 0;
        if (rowbuf_add_packed((RowBuffer *)buffer, row) < 0) return -1;
        return ((RowBuffer *)buffer)->count >= chunk ? 2 : 1;
    }
    if (Py_TYPE(buffer) == &RowBufferType) {
        RowBuffer *rows = (RowBuffer *)buffer;
        if (!PyTuple_CheckExact(row) || PyTuple_GET_SIZE(row) != PyTuple_GET_SIZE(rows->fields))
            return 0;
        int rc = rowbuf_add(rows, &PyTuple_GET_ITEM(row, 0));
        return rc <= 0 ? rc : rows->count >= chunk ? 2 : 1;
    }
    if (!PyList_Check(buffer)) {
        PyErr_SetString(PyExc_TypeError, "a segment buffer is not a list or a RowBuffer");
        return -1;
    }
    if (PyList_Append(buffer, row) < 0) return -1;
    return PyList_GET_SIZE(buffer) >= chunk ? 2 : 1;
}

static PyObject *text_of(PyObject *record, PyObject *key) { /* borrowed, or NULL */
    PyObject *v = PyDict_GetItemWithError(record, key);
    return v != NULL && PyUnicode_CheckExact(v) ? v : NULL;
}

/* one record: 1 taken (2: its buffer is full), 0 not taken, -1 error */
static int take(PyObject **c, PyObject *record, int keep) {
    int is_rel = c[0] == Py_True;
    PyObject *specs = c[1], *fixed = c[2], *statuses = c[3], *cited = c[4], *ylist = c[5],
             *ids = c[6], *labels = c[7], *places = c[8], *buffers = c[9], *key_of = c[11],
             *blake2b = c[12], *pending = c[13], *node_fields = c[14], *rel_fields = c[15];
    Py_ssize_t chunk = PyLong_AsSsize_t(c[10]);
    if (chunk == -1 && PyErr_Occurred()) return -1;
    if (!PyDict_Check(record)) return 0;
    PyObject *rtype = text_of(record, type_key);
    PyObject *first = text_of(record, is_rel ? from_key : id_key);
    PyObject *second = is_rel ? text_of(record, to_key) : NULL;
    if (PyErr_Occurred()) return -1;
    if (rtype == NULL || first == NULL || (is_rel && second == NULL)) return 0;
    PyObject *spec = PyDict_GetItemWithError(specs, rtype);
    if (spec == NULL) return PyErr_Occurred() ? -1 : 0;
    if (!is_rel && !valid_id(first)) return 0;
    PyObject *attrs = PyObject_GenericGetDict(record, NULL);
    if (attrs == NULL) return -1;
    Py_ssize_t at[6];
    int rc = PyDict_Contains(attrs, value_marks_key); /* marks built or set: not read here */
    if (rc == 0) rc = PyDict_Contains(attrs, mark_key);
    PyObject *src = NULL;
    if (rc == 0) {
        src = PyDict_GetItemWithError(attrs, s_src_name);
        rc = src != NULL && PyTuple_CheckExact(src) && PyTuple_GET_SIZE(src) == 3 ? 1
             : PyErr_Occurred()                                            ? -1
                                                                           : 0;
    } else {
        rc = rc > 0 ? 0 : -1;
    }
    if (rc > 0) rc = place(src, NULL, &at[0], &at[1]);
    if (rc > 0) rc = place(src, is_rel ? from_key : id_key, &at[2], &at[3]);
    if (rc > 0 && is_rel) rc = place(src, to_key, &at[4], &at[5]);
    Py_DECREF(attrs);
    if (rc <= 0) return rc;
    PyObject *name = PyTuple_GET_ITEM(spec, 0);
    PyObject *props = check_props(ylist, record, PyTuple_GET_ITEM(spec, 1),
                                  PyTuple_GET_ITEM(spec, 2), fixed, statuses, cited);
    if (props == NULL || props == Py_None) {
        Py_XDECREF(props);
        return props == NULL ? -1 : 0;
    }
    PyObject *key = NULL, *hash = NULL, *row = NULL;
    int taken = -1;
    if (!is_rel) {
        if (PyTuple_GET_ITEM(spec, 3) == Py_True) {
            rc = PyDict_Contains(props, sources_key);
            if (rc <= 0) {
                taken = rc;
                goto done;
            }
        }
    } else {
        if (PyTuple_GET_ITEM(spec, 3) == Py_True) { /* a claim: a status and sources */
            rc = PyDict_Contains(props, status_key);
            if (rc > 0) rc = PyDict_Contains(props, sources_key);
            if (rc <= 0) {
                taken = rc;
                goto done;
            }
        }
        PyObject *identity = PyTuple_GET_ITEM(spec, 4);
        int set = 0;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(identity) && !set; i++) {
            set = PyDict_Contains(props, PyTuple_GET_ITEM(identity, i));
            if (set < 0) goto done;
        }
        key = set ? PyObject_CallFunctionObjArgs(key_of, props, identity, NULL)
                  : Py_NewRef(empty_text);
        if (key == NULL) goto done;
        if (PyDict_SetItem(props, key_key, key) < 0) goto done;
    }
    if (keep || is_rel) { /* a relationship's row is kept in any case, as rel() does */
        if (!is_rel && PyDict_SetItem(props, id_key, first) < 0) goto done;
        hash = content_digest(blake2b, name, props);
        if (hash == NULL) goto done;
        if (hash == Py_None) {
            taken = 0;
            goto done;
        }
    }
    if (!is_rel) {
        rc = 1;
        if (keep) { /* first: a row its buffer does not take leaves the record to Python */
            row = PyTuple_Pack(3, first, props, hash);
            if (row == NULL) goto done;
            rc = append_row(buffers, name, row, chunk, node_fields);
            if (rc <= 0) {
                taken = rc;
                goto done;
            }
        }
        if (PyList_Append(ids, first) < 0 || PyList_Append(labels, name) < 0 ||
            put_places(places, at[0], at[2], at[3]) < 0)
            goto done;
    } else {
        PyObject *packed = Py_NewRef(Py_None); /* the row packed now, while it is in cache */
        if (rel_fields != Py_None) {
            PyObject *values[5] = {first, second, key, props, hash};
            Py_SETREF(packed, pack_row(rel_fields, values));
            if (packed == NULL) goto done;
        }
        if (packed != Py_None)
            row = Py_BuildValue("(OOOOOOnnnnnn)", name, first, second, key, packed, Py_None,
                                at[0], at[1], at[2], at[3], at[4], at[5]);
        else
            row = Py_BuildValue("(OOOOOOnnnnnn)", name, first, second, key, props, hash,
                                at[0], at[1], at[2], at[3], at[4], at[5]);
        Py_DECREF(packed);
        if (row == NULL) goto done;
        rc = append_row(buffers, pending, row, chunk, Py_None);
    }
    if (rc > 0) taken = rc;
done:
    Py_DECREF(props);
    Py_XDECREF(key);
    Py_XDECREF(hash);
    Py_XDECREF(row);
    return taken;
}

static PyObject *records(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *ctx, *items;
    Py_ssize_t start;
    int keep;
    if (!PyArg_ParseTuple(args, "O!O!np:records", &PyTuple_Type, &ctx, &PyList_Type, &items,
                          &start, &keep))
        return NULL;
    if (PyTuple_GET_SIZE(ctx) != 16 || !PyDict_Check(PyTuple_GET_ITEM(ctx, 1)) ||
        !PySet_Check(PyTuple_GET_ITEM(ctx, 4)) || !PyList_Check(PyTuple_GET_ITEM(ctx, 6)) ||
        !PyList_Check(PyTuple_GET_ITEM(ctx, 7)) || !PyByteArray_Check(PyTuple_GET_ITEM(ctx, 8)) ||
        !PyDict_Check(PyTuple_GET_ITEM(ctx, 9))) {
        PyErr_SetString(PyExc_TypeError, "records: not a context of fast_records");
        return NULL;
    }
    PyObject **c = &PyTuple_GET_ITEM(ctx, 0);
    Py_ssize_t i = start < 0 ? 0 : start;
    int full = 0;
    for (; i < PyList_GET_SIZE(items) && !full; i++) {
        int rc = take(c, PyList_GET_ITEM(items, i), keep);
        if (rc < 0) return NULL;
        if (rc == 0) break;
        full = rc == 2;
    }
    return Py_BuildValue("(nO)", i, full ? Py_True : Py_False);
}

/* ---- resolve(rows, start, ctx): validate._resolve_rows over rows[start:] (waiting
 * relationships, as records() makes them) for as long as both ends are known nodes of a
 * pair the type allows: each one's identity digest goes to digests and its row, grouped
 * by (type, from label, to label), to the segment writer's buffers. Stops at the first
 * other one, which the Python code then reports, or after a row that fills its buffer.
 * Returns (the index to go on from, buffer full). ctx is (labels: id -> label,
 * between: type -> frozenset of label pairs, buffers, chunk, digests: a bytearray,
 * blake2b, fields: a row's, packed in a RowBuffer, or None: kept in a list). The digest
 * is validate.identity_digest's. */

static PyObject *identity_bytes(PyObject *rtype, PyObject *start, PyObject *end, PyObject *key) {
    PyObject *parts[4] = {rtype, start, end, key};
    const char *text[4];
    Py_ssize_t size[4], total = 3;
    for (int i = 0; i < 4; i++) {
        if (!PyUnicode_Check(parts[i])) {
            PyErr_SetString(PyExc_TypeError, "resolve: a relationship's identity is not text");
            return NULL;
        }
        text[i] = PyUnicode_AsUTF8AndSize(parts[i], &size[i]);
        if (text[i] == NULL) return NULL;
        total += size[i];
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, total);
    if (out == NULL) return NULL;
    char *p = PyBytes_AS_STRING(out);
    for (int i = 0; i < 4; i++) {
        if (i > 0) *p++ = '\0';
        memcpy(p, text[i], (size_t)size[i]);
        p += size[i];
    }
    return out;
}

/* one row: 1 kept (2: its buffer is full), 0 not, -1 error */
static int resolve_one(PyObject *row, PyObject *labels, PyObject *between, PyObject *buffers,
                       Py_ssize_t chunk, PyObject *digests, PyObject *blake2b,
                       PyObject *fields) {
    if (!PyTuple_CheckExact(row) || PyTuple_GET_SIZE(row) < 6) return 0;
    PyObject *rtype = PyTuple_GET_ITEM(row, 0), *start = PyTuple_GET_ITEM(row, 1),
             *end = PyTuple_GET_ITEM(row, 2);
    PyObject *a = PyDict_GetItemWithError(labels, start);
    if (a == NULL) return PyErr_Occurred() ? -1 : 0;
    PyObject *b = PyDict_GetItemWithError(labels, end);
    if (b == NULL) return PyErr_Occurred() ? -1 : 0;
    PyObject *pairs = PyDict_GetItemWithError(between, rtype);
    if (pairs == NULL) return PyErr_Occurred() ? -1 : 0;
    PyObject *group = PyTuple_Pack(3, rtype, a, b);
    if (group == NULL) return -1;
    PyObject *pair = PyTuple_GetSlice(group, 1, 3);
    int rc = pair == NULL ? -1 : PySet_Contains(pairs, pair);
    Py_XDECREF(pair);
    if (rc <= 0) {
        Py_DECREF(group);
        return rc;
    }
    PyObject *data = identity_bytes(rtype, start, end, PyTuple_GET_ITEM(row, 3));
    PyObject *digest = data == NULL ? NULL : blake2b_of(blake2b, data, 8, digest_name);
    Py_XDECREF(data);
    rc = -1;
    if (digest != NULL && PyBytes_Check(digest) && PyBytes_GET_SIZE(digest) == 8) {
        PyObject *kept = PyBytes_CheckExact(PyTuple_GET_ITEM(row, 4))
                             ? Py_NewRef(PyTuple_GET_ITEM(row, 4)) /* packed already */
                             : PyTuple_GetSlice(row, 1, 6); /* start, end, key, props, hash */
        /* the row first: one its buffer does not take leaves the relationship to Python */
        rc = kept == NULL ? -1 : append_row(buffers, group, kept, chunk, fields);
        Py_XDECREF(kept);
        Py_ssize_t n = PyByteArray_GET_SIZE(digests);
        if (rc > 0 && PyByteArray_Resize(digests, n + 8) < 0) rc = -1;
        if (rc > 0) memcpy(PyByteArray_AS_STRING(digests) + n, PyBytes_AS_STRING(digest), 8);
    }
    Py_XDECREF(digest);
    Py_DECREF(group);
    return rc;
}

static PyObject *resolve(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *rows, *labels, *between, *buffers, *digests, *blake2b, *fields;
    Py_ssize_t start, chunk;
    if (!PyArg_ParseTuple(args, "O!n(O!O!O!nO!OO):resolve", &PyList_Type, &rows, &start,
                          &PyDict_Type, &labels, &PyDict_Type, &between, &PyDict_Type, &buffers,
                          &chunk, &PyByteArray_Type, &digests, &blake2b, &fields))
        return NULL;
    Py_ssize_t i = start < 0 ? 0 : start;
    int full = 0;
    for (; i < PyList_GET_SIZE(rows) && !full; i++) {
        int rc = resolve_one(PyList_GET_ITEM(rows, i), labels, between, buffers, chunk, digests,
                             blake2b, fields);
        if (rc < 0) return NULL;
        if (rc == 0) break;
        full = rc == 2;
    }
    return Py_BuildValue("(nO)", i, full ? Py_True : Py_False);
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(text, path, YMap, YList, max_scalar): the tree, or None when the text is not "
     "of the simple shape this reader knows (then read it with PyYAML)."},
    {"props", props, METH_VARARGS,
     "props(record, specs, required, fixed, statuses, cited, YList): a record's "
     "properties, or None when anything is not plainly valid (then check it in Python)."},
    {"content_json", content_json, METH_VARARGS,
     "content_json(kind, props): the UTF-8 JSON of [kind, props] that the content hash "
     "hashes, or None for values it does not write (then use the Python encoder)."},
    {"records", records, METH_VARARGS,
     "records(ctx, items, start, keep): node() or rel() of loader.validate over items[start:] "
     "while each is plainly valid; (where it stopped, whether a buffer is full)."},
    {"pack_rows", pack_rows, METH_VARARGS,
     "pack_rows(rows, fields): the rows (tuples) as PackStream maps of fields, one after "
     "another, and where each ends; None when a value is not of the types it packs."},
    {"unpack_rows", unpack_rows, METH_VARARGS,
     "unpack_rows(data, fields): the rows that pack_rows packed, as tuples of the fields."},
    {"resolve", resolve, METH_VARARGS,
     "resolve(rows, start, ctx): loader.validate._resolve_rows over rows[start:] while both "
     "ends are known and allowed; (where it stopped, whether a buffer is full)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "loader._scan",
    "A fast reader for the common shape of seed files (see loader/yamlread.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void) {
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
    year = PyUnicode_InternFromString("year");
    month = PyUnicode_InternFromString("month");
    day = PyUnicode_InternFromString("day");
    sources_key = PyUnicode_InternFromString("sources");
    status_key = PyUnicode_InternFromString("status");
    if (!year || !month || !day || !sources_key || !status_key) return NULL;
    id_key = PyUnicode_InternFromString("id");
    type_key = PyUnicode_InternFromString("type");
    from_key = PyUnicode_InternFromString("from");
    to_key = PyUnicode_InternFromString("to");
    key_key = PyUnicode_InternFromString("key");
    value_marks_key = PyUnicode_InternFromString("value_marks");
    mark_key = PyUnicode_InternFromString("mark");
    digest_size_key = PyUnicode_InternFromString("digest_size");
    hexdigest_name = PyUnicode_InternFromString("hexdigest");
    digest_name = PyUnicode_InternFromString("digest");
    empty_text = PyUnicode_InternFromString("");
    s_src_name = PyUnicode_InternFromString("_src");
    if (!id_key || !type_key || !from_key || !to_key || !key_key || !value_marks_key ||
        !mark_key || !digest_size_key || !hexdigest_name || !digest_name || !empty_text || !s_src_name)
        return NULL;
    if (PyType_Ready(&PosType) < 0 || PyType_Ready(&PlacesType) < 0 ||
        PyType_Ready(&RowBufferType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Pos", (PyObject *)&PosType) < 0 ||
        PyModule_AddObjectRef(m, "RowBuffer", (PyObject *)&RowBufferType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
