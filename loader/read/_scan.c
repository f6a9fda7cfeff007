/* A fast reader for the common shape of seed files; PyYAML reads everything else. It only
 * reads: it knows nothing of seed records, the ontology or what is valid (loader.check).
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
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "loader.read._scan.Pos",
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
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "loader.read._scan.Places",
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
            /* '?' too: pure-Python PyYAML ends a plain scalar at it in flow context
             * ("[Who?]" is an error there), libyaml does not */
            if (c == '[' || c == '{' || c == '}' || c == '"' || c == '\'' || c == '#' ||
                c == '?')
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

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(text, path, YMap, YList, max_scalar[, first_line]): the tree, or None when the "
     "text is not of the simple shape this reader knows (then read it with PyYAML)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "loader.read._scan",
    "A fast reader for the common shape of seed files (see loader/read/yamlread.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void) {
    if (PyType_Ready(&PosType) < 0 || PyType_Ready(&PlacesType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Pos", (PyObject *)&PosType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
