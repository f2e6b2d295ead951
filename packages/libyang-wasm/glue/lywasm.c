/*
 * lywasm: the C side of the libyang-wasm package (libyang 2.1.30 compiled with emscripten).
 *
 * Conventions, relied upon by src/index.ts:
 * - every char * returned by an lyw_* function is malloc()ed and must be released with lyw_free();
 * - structured results (module info, errors, edit errors) are returned as JSON text, which keeps the JS
 *   side free of struct layouts; a diff's changes, which can be millions, as a compact record stream
 *   (lyw_diff_changes);
 * - data trees are held through a struct lyw_tree handle, because the first sibling of a forest changes
 *   when nodes are inserted before it or freed; the handle always holds the current first sibling;
 * - libyang logs are stored (LY_LOSTORE) in the context and read with lyw_errors(), never printed.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emscripten.h>
#include <emscripten/heap.h>

#include <libyang/libyang.h>
#include <libyang/plugins_types.h>
#include <libyang/version.h>

/* A forest of data nodes plus the context it belongs to; root is NULL for an empty tree. */
struct lyw_log;

struct lyw_tree {
    struct ly_ctx *ctx;
    struct lyd_node *root;
    struct lyw_log *log; /* change recording, see lyw_track_begin; NULL when not recording */
};

static void log_free(struct lyw_log *log);
static void schema_info_forget(const struct ly_ctx *ctx);

/* An operation (RPC, action, reply, notification): tree is the whole parsed tree (with the parents of an
 * action or nested notification), envelope the opaque NETCONF envelope if any, op the operation node. */
struct lyw_op {
    struct ly_ctx *ctx;
    struct lyd_node *tree;
    struct lyd_node *envelope;
    struct lyd_node *op;
};

/* ------------------------------------------------------------------------------------------------ */
/* JSON output helpers                                                                                */

struct jbuf {
    char *data;
    size_t len;
    FILE *f;
};

static void jb_open(struct jbuf *jb) {
    jb->data = NULL;
    jb->len = 0;
    jb->f = open_memstream(&jb->data, &jb->len);
}

static char *jb_close(struct jbuf *jb) {
    fclose(jb->f);
    return jb->data;
}

/* The JSON escape of byte c (written to buf), or NULL when c stands for itself. */
static const char *json_escape(unsigned char c, char buf[8]) {
    if (c == '"' || c == '\\') {
        buf[0] = '\\';
        buf[1] = (char)c;
        buf[2] = '\0';
    } else if (c == '\n') {
        return "\\n";
    } else if (c == '\t') {
        return "\\t";
    } else if (c == '\r') {
        return "\\r";
    } else if (c < 0x20) {
        snprintf(buf, 8, "\\u%04x", c);
    } else {
        return NULL;
    }
    return buf;
}

static void jb_str(struct jbuf *jb, const char *s) {
    FILE *f = jb->f;
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        char buf[8];
        const char *escape = json_escape((unsigned char)*s, buf);
        if (escape) {
            fputs(escape, f);
        } else {
            fputc(*s, f);
        }
    }
    fputc('"', f);
}

/* A growable byte buffer written directly, for output too large for a FILE * memstream's per-call cost. */
struct wbuf {
    char *data;
    size_t len, cap;
};

static int wb_put(struct wbuf *wb, const char *bytes, size_t n) {
    if (wb->len + n > wb->cap) {
        size_t cap = wb->cap ? wb->cap : 256;
        char *data;
        while (cap < wb->len + n) {
            cap *= 2;
        }
        if (!(data = realloc(wb->data, cap))) {
            return -1;
        }
        wb->data = data;
        wb->cap = cap;
    }
    memcpy(wb->data + wb->len, bytes, n);
    wb->len += n;
    return 0;
}

static int wb_putc(struct wbuf *wb, char c) { return wb_put(wb, &c, 1); }

static int wb_puts(struct wbuf *wb, const char *s) { return wb_put(wb, s, strlen(s)); }

/* s as a JSON string (null for NULL); the runs that need no escape are copied whole. */
static int wb_json_str(struct wbuf *wb, const char *s) {
    const char *run;

    if (!s) {
        return wb_put(wb, "null", 4);
    }
    if (wb_putc(wb, '"')) {
        return -1;
    }
    for (run = s;; s++) {
        char buf[8];
        const char *escape = *s ? json_escape((unsigned char)*s, buf) : NULL;
        if (*s && !escape) {
            continue;
        }
        if (wb_put(wb, run, (size_t)(s - run)) || (escape && wb_puts(wb, escape))) {
            return -1;
        }
        if (!*s) {
            break;
        }
        run = s + 1;
    }
    return wb_putc(wb, '"');
}

/* ------------------------------------------------------------------------------------------------ */
/* Runtime                                                                                            */

EMSCRIPTEN_KEEPALIVE void lyw_free(void *p) { free(p); }

EMSCRIPTEN_KEEPALIVE const char *lyw_version(void) { return "2.1.30 (libyang so " LY_VERSION ")"; }

EMSCRIPTEN_KEEPALIVE size_t lyw_heap_bytes(void) { return emscripten_get_heap_size(); }

EMSCRIPTEN_KEEPALIVE size_t lyw_allocated_bytes(void) {
    struct mallinfo mi = mallinfo();
    return (size_t)mi.uordblks;
}

/* An error detected by the glue itself (libyang's ly_log() is not public); reported by lyw_errors(). */
static char glue_error[512];

static void set_glue_error(const char *fmt, const char *a, const char *b) {
    snprintf(glue_error, sizeof glue_error, fmt, a, b);
}

/* Errors and warnings stored in ctx as a JSON array, then cleared. */
EMSCRIPTEN_KEEPALIVE char *lyw_errors(struct ly_ctx *ctx) {
    struct jbuf jb;
    const struct ly_err_item *e;
    int first = 1;

    jb_open(&jb);
    fputc('[', jb.f);
    if (glue_error[0]) {
        fprintf(jb.f, "{\"level\":%d,\"code\":%d,\"vecode\":0,\"message\":", (int)LY_LLERR, (int)LY_EINVAL);
        jb_str(&jb, glue_error);
        fputs(",\"path\":null,\"appTag\":null}", jb.f);
        glue_error[0] = '\0';
        first = 0;
    }
    for (e = ctx ? ly_err_first(ctx) : NULL; e; e = e->next) {
        fprintf(jb.f, "%s{\"level\":%d,\"code\":%d,\"vecode\":%d,\"message\":", first ? "" : ",", (int)e->level,
                (int)e->no, (int)e->vecode);
        jb_str(&jb, e->msg);
        fputs(",\"path\":", jb.f);
        jb_str(&jb, e->path);
        fputs(",\"appTag\":", jb.f);
        jb_str(&jb, e->apptag);
        fputc('}', jb.f);
        first = 0;
    }
    fputc(']', jb.f);
    if (ctx) {
        ly_err_clean(ctx, NULL);
    }
    return jb_close(&jb);
}

/* ------------------------------------------------------------------------------------------------ */
/* Context and modules                                                                                */

/* searchdirs: ':'-separated list, may be NULL. */
EMSCRIPTEN_KEEPALIVE struct ly_ctx *lyw_ctx_new(const char *searchdirs, unsigned options) {
    struct ly_ctx *ctx = NULL;

    ly_log_options(LY_LOSTORE);
    if (ly_ctx_new(searchdirs && *searchdirs ? searchdirs : NULL, (uint16_t)options, &ctx)) {
        return NULL;
    }
    return ctx;
}

EMSCRIPTEN_KEEPALIVE void lyw_ctx_destroy(struct ly_ctx *ctx) {
    schema_info_forget(ctx);
    ly_ctx_destroy(ctx);
}

/* Splits a '\n'-separated list into a NULL-terminated array (one allocation, freed with free()). */
static const char **split_lines(const char *list) {
    size_t n = 1, len;
    const char *p;
    const char **arr;
    char *copy;

    if (!list || !*list) {
        return NULL;
    }
    for (p = list; *p; p++) {
        n += (*p == '\n');
    }
    len = strlen(list) + 1;
    arr = malloc((n + 1) * sizeof *arr + len);
    copy = (char *)(arr + n + 1);
    memcpy(copy, list, len);
    n = 0;
    arr[n++] = copy;
    for (; *copy; copy++) {
        if (*copy == '\n') {
            *copy = '\0';
            arr[n++] = copy + 1;
        }
    }
    arr[n] = NULL;
    return arr;
}

static const char *module_revision(const struct lys_module *mod) { return mod->revision; }

static void module_json(struct jbuf *jb, const struct lys_module *mod) {
    const struct lysp_feature *f = NULL;
    uint32_t idx = 0;
    LY_ARRAY_COUNT_TYPE u;
    int first = 1;

    fputs("{\"name\":", jb->f);
    jb_str(jb, mod->name);
    fputs(",\"revision\":", jb->f);
    jb_str(jb, module_revision(mod));
    fputs(",\"namespace\":", jb->f);
    jb_str(jb, mod->ns);
    fputs(",\"prefix\":", jb->f);
    jb_str(jb, mod->prefix);
    fprintf(jb->f, ",\"implemented\":%s,\"features\":[", mod->implemented ? "true" : "false");
    if (mod->parsed) {
        while ((f = lysp_feature_next(f, mod->parsed, &idx))) {
            if (f->flags & LYS_FENABLED) {
                if (!first) {
                    fputc(',', jb->f);
                }
                jb_str(jb, f->name);
                first = 0;
            }
        }
    }
    fputs("],\"submodules\":[", jb->f);
    if (mod->parsed) {
        LY_ARRAY_FOR(mod->parsed->includes, u) {
            const struct lysp_include *inc = &mod->parsed->includes[u];
            const struct lysp_submodule *sub = inc->submodule;
            fputs(u ? ",{\"name\":" : "{\"name\":", jb->f);
            jb_str(jb, inc->name);
            fputs(",\"revision\":", jb->f);
            jb_str(jb, sub && sub->revs ? sub->revs[0].date : (inc->rev[0] ? inc->rev : NULL));
            fputc('}', jb->f);
        }
    }
    fputs("]}", jb->f);
}

static char *module_info(const struct lys_module *mod) {
    struct jbuf jb;
    jb_open(&jb);
    module_json(&jb, mod);
    return jb_close(&jb);
}

/* features: '\n'-separated, "*" = all. Returns module info JSON or NULL (errors in ctx). */
EMSCRIPTEN_KEEPALIVE char *lyw_load_module(struct ly_ctx *ctx, const char *name, const char *revision,
        const char *features) {
    const char **feats = split_lines(features);
    const struct lys_module *mod;

    ly_err_clean(ctx, NULL);
    mod = ly_ctx_load_module(ctx, name, revision && *revision ? revision : NULL, feats);
    free(feats);
    return mod ? module_info(mod) : NULL;
}

/* format: LYS_IN_YANG or LYS_IN_YIN. */
EMSCRIPTEN_KEEPALIVE char *lyw_parse_module(struct ly_ctx *ctx, const char *text, int format, const char *features) {
    const char **feats = split_lines(features);
    struct lys_module *mod = NULL;
    struct ly_in *in = NULL;
    LY_ERR rc;

    ly_err_clean(ctx, NULL);
    if (ly_in_new_memory(text, &in)) {
        free(feats);
        return NULL;
    }
    rc = lys_parse(ctx, in, (LYS_INFORMAT)format, feats, &mod);
    ly_in_free(in, 0);
    free(feats);
    return rc ? NULL : module_info(mod);
}

EMSCRIPTEN_KEEPALIVE char *lyw_modules(struct ly_ctx *ctx) {
    struct jbuf jb;
    const struct lys_module *mod;
    uint32_t idx = 0;
    int first = 1;

    jb_open(&jb);
    fputc('[', jb.f);
    while ((mod = ly_ctx_get_module_iter(ctx, &idx))) {
        if (!first) {
            fputc(',', jb.f);
        }
        module_json(&jb, mod);
        first = 0;
    }
    fputc(']', jb.f);
    return jb_close(&jb);
}

/* A module by name and optional revision: the implemented one, else the newest. */
static const struct lys_module *find_module(struct ly_ctx *ctx, const char *name, const char *revision) {
    const struct lys_module *mod;

    if (revision && *revision) {
        return ly_ctx_get_module(ctx, name, revision);
    }
    mod = ly_ctx_get_module_implemented(ctx, name);
    return mod ? mod : ly_ctx_get_module_latest(ctx, name);
}

/* format: LYS_OUT_YANG, LYS_OUT_YIN or LYS_OUT_TREE; a submodule is printed when no module has the name. */
EMSCRIPTEN_KEEPALIVE char *lyw_print_module(struct ly_ctx *ctx, const char *name, const char *revision, int format) {
    const struct lys_module *mod = find_module(ctx, name, revision);
    const struct lysp_submodule *sub;
    struct ly_out *out = NULL;
    char *text = NULL;
    LY_ERR rc;

    ly_err_clean(ctx, NULL);
    if (mod) {
        rc = lys_print_mem(&text, mod, (LYS_OUTFORMAT)format, 0);
        return rc ? NULL : text;
    }
    sub = revision && *revision ? ly_ctx_get_submodule(ctx, name, revision) : ly_ctx_get_submodule_latest(ctx, name);
    if (!sub || ly_out_new_memory(&text, 0, &out)) {
        return NULL;
    }
    rc = lys_print_submodule(out, sub, (LYS_OUTFORMAT)format, 0, 0);
    ly_out_free(out, NULL, 0);
    if (rc) {
        free(text);
        return NULL;
    }
    return text;
}

/* ------------------------------------------------------------------------------------------------ */
/* Data trees                                                                                         */

static struct lyw_tree *tree_new(struct ly_ctx *ctx, struct lyd_node *root) {
    struct lyw_tree *t = malloc(sizeof *t);
    t->ctx = ctx;
    t->root = root ? lyd_first_sibling(root) : NULL;
    t->log = NULL;
    return t;
}

/* Inserts node under parent, or among the top-level siblings *first when parent is NULL. */
static LY_ERR insert_node(struct lyd_node *parent, struct lyd_node **first, struct lyd_node *node) {
    if (parent) {
        return lyd_insert_child(parent, node);
    }
    return lyd_insert_sibling(*first, node, first);
}

/* Frees node, keeping *first (the top-level first sibling) valid. */
static void free_node(struct lyd_node **first, struct lyd_node *node) {
    if (*first == node) {
        *first = node->next;
    }
    lyd_free_tree(node);
}

EMSCRIPTEN_KEEPALIVE struct lyw_tree *lyw_tree_empty(struct ly_ctx *ctx) { return tree_new(ctx, NULL); }

EMSCRIPTEN_KEEPALIVE int lyw_tree_is_empty(struct lyw_tree *t) { return t->root == NULL; }

EMSCRIPTEN_KEEPALIVE void lyw_tree_free(struct lyw_tree *t) {
    if (t) {
        log_free(t->log);
        lyd_free_all(t->root);
        free(t);
    }
}

/* format: LYD_XML or LYD_JSON. Returns NULL on error (errors in ctx). */
EMSCRIPTEN_KEEPALIVE struct lyw_tree *lyw_parse_data(struct ly_ctx *ctx, const char *text, int format,
        unsigned parse_options, unsigned validate_options) {
    struct lyd_node *root = NULL;

    ly_err_clean(ctx, NULL);
    if (lyd_parse_data_mem(ctx, text, (LYD_FORMAT)format, parse_options, validate_options, &root)) {
        lyd_free_all(root);
        return NULL;
    }
    return tree_new(ctx, root);
}

/* The module owning NETCONF's "operation" annotation, or NULL when the context has no ietf-netconf. */
static const struct lys_module *netconf_module(const struct ly_ctx *ctx) {
    const struct lys_module *mod = ly_ctx_get_module_implemented(ctx, "ietf-netconf");
    return mod ? mod : ly_ctx_get_module_latest(ctx, "ietf-netconf");
}

static const char *meta_value(const struct lyd_node *node, const struct lys_module *mod, const char *name);

/* The nc:operation attribute of an opaque node: an opaque node has attributes, not metadata. */
static const char *opaq_operation(const struct lyd_node *node) {
    const struct lyd_attr *a;

    for (a = ((const struct lyd_node_opaq *)node)->attr; a; a = a->next) {
        if (!strcmp(a->name.name, "operation") && a->name.module_ns
                && !strcmp(a->name.module_ns,
                        a->format == LY_VALUE_JSON ? "ietf-netconf" : "urn:ietf:params:xml:ns:netconf:base:1.0")) {
            return a->value;
        }
    }
    return NULL;
}

/*
 * The schema leaf of an opaque node that is a leaf given without a value ("<description/>") under a
 * schema parent (or at the top level), NULL for any other opaque node. Leaf-lists do not qualify: the value
 * of a leaf-list entry is what identifies it.
 */
static const struct lysc_node *valueless_leaf(const struct ly_ctx *ctx, const struct lyd_node *node) {
    const struct lyd_node_opaq *o = (const struct lyd_node_opaq *)node;
    const struct lyd_node *parent = lyd_parent(node);
    const struct lys_module *mod;

    if (node->schema || o->child || (o->value && o->value[0]) || (parent && !parent->schema) || !o->name.module_ns) {
        return NULL;
    }
    mod = o->format == LY_VALUE_JSON ? ly_ctx_get_module_implemented(ctx, o->name.module_name)
                                     : ly_ctx_get_module_implemented_ns(ctx, o->name.module_ns);
    return mod ? lys_find_child(parent ? parent->schema : NULL, mod, o->name.name, 0, LYS_LEAF, 0) : NULL;
}

static int is_delete_or_remove(const char *op) { return op && (!strcmp(op, "delete") || !strcmp(op, "remove")); }

/* A leaf without a value whose nc:operation (its own, else its nearest ancestor's) is delete or remove. */
static int valueless_delete(const struct ly_ctx *ctx, const struct lys_module *netconf, const struct lyd_node *node) {
    const struct lyd_node *p;
    const char *op;

    if (!valueless_leaf(ctx, node)) {
        return 0;
    }
    op = opaq_operation(node);
    for (p = lyd_parent(node); !op && p && netconf; p = lyd_parent(p)) {
        op = meta_value(p, netconf, "operation");
    }
    return is_delete_or_remove(op);
}

/*
 * Parses <edit-config> content (parse only). RFC 6241 section 7.2 does not require the value of a leaf to
 * delete or remove it, and clients (ncclient, Ansible, netopeer2's examples) send "<description
 * nc:operation="delete"/>"; libyang type-checks even an unvalidated leaf, so the empty value of a
 * length-restricted string or of a number fails. When the strict parse fails, the text is parsed again
 * with opaque nodes for the invalid values; that tree is accepted only if every opaque node is such a
 * valueless leaf under delete/remove (lyw_edit handles them). Otherwise the errors of the strict parse
 * stand, exactly as lyw_parse_data would report them.
 */
EMSCRIPTEN_KEEPALIVE struct lyw_tree *lyw_parse_edit(struct ly_ctx *ctx, const char *text, int format,
        unsigned parse_options) {
    const struct lys_module *netconf = netconf_module(ctx);
    struct lyd_node *root = NULL, *top, *node;
    struct ly_err_item *last;

    ly_err_clean(ctx, NULL);
    parse_options |= LYD_PARSE_ONLY;
    if (!lyd_parse_data_mem(ctx, text, (LYD_FORMAT)format, parse_options, 0, &root)) {
        return tree_new(ctx, root);
    }
    lyd_free_all(root);
    root = NULL;
    last = ly_err_last(ctx);
    /* Strict and opaque together: unknown elements stay errors, only invalid values become opaque. */
    if (lyd_parse_data_mem(ctx, text, (LYD_FORMAT)format, parse_options | LYD_PARSE_OPAQ, 0, &root)) {
        goto strict_errors;
    }
    LY_LIST_FOR(root, top) {
        LYD_TREE_DFS_BEGIN(top, node) {
            if (!node->schema && !valueless_delete(ctx, netconf, node)) {
                goto strict_errors;
            }
            LYD_TREE_DFS_END(top, node);
        }
    }
    ly_err_clean(ctx, NULL);
    return tree_new(ctx, root);

strict_errors:
    lyd_free_all(root);
    if (!last) {
        ly_err_clean(ctx, NULL);
    } else if (last->next) {
        ly_err_clean(ctx, last->next);
    }
    return NULL;
}

EMSCRIPTEN_KEEPALIVE int lyw_validate(struct lyw_tree *t, unsigned validate_options) {
    LY_ERR rc;

    ly_err_clean(t->ctx, NULL);
    rc = lyd_validate_all(&t->root, t->ctx, validate_options, NULL);
    t->root = t->root ? lyd_first_sibling(t->root) : NULL;
    return rc;
}

static char *print_forest(const struct lyd_node *root, int format, unsigned options) {
    char *text = NULL;

    if (!root) {
        return strdup("");
    }
    if (lyd_print_mem(&text, root, (LYD_FORMAT)format, options | LYD_PRINT_WITHSIBLINGS)) {
        free(text);
        return NULL;
    }
    return text ? text : strdup("");
}

EMSCRIPTEN_KEEPALIVE char *lyw_print(struct lyw_tree *t, int format, unsigned options) {
    ly_err_clean(t->ctx, NULL);
    return print_forest(t->root, format, options);
}

EMSCRIPTEN_KEEPALIVE struct lyw_tree *lyw_dup(struct lyw_tree *t) {
    struct lyd_node *dup = NULL;

    ly_err_clean(t->ctx, NULL);
    if (t->root && lyd_dup_siblings(t->root, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &dup)) {
        return NULL;
    }
    return tree_new(t->ctx, dup);
}

/* The source is duplicated, not consumed. */
EMSCRIPTEN_KEEPALIVE int lyw_merge(struct lyw_tree *target, struct lyw_tree *source) {
    LY_ERR rc;

    ly_err_clean(target->ctx, NULL);
    if (!source->root) {
        return LY_SUCCESS;
    }
    rc = lyd_merge_siblings(&target->root, source->root, 0);
    target->root = target->root ? lyd_first_sibling(target->root) : NULL;
    return rc;
}

/* ------------------------------------------------------------------------------------------------ */
/* Canonical order (RFC 7950 section 7.7.7: "ordered-by system")                                     */

/*
 * libyang 2.1.30 keeps the entries of an ordered-by system list or leaf-list in insertion order, so the same
 * configuration entered in two orders prints as two different texts. RFC 7950 leaves the order to the
 * server; ours is by value, so that the same data always gives the same bytes:
 * - a list entry by its keys, in the order of the key statement; a leaf-list entry by its value;
 * - a value by its class first (numbers, IPv4 addresses, IPv6 addresses, everything else), then within
 *   the class: numbers (the integer types and decimal64) numerically, addresses (the ietf-inet-types
 *   ip/ipv4/ipv6-address types, also inside a union) by their bytes then their zone, everything else
 *   (strings, enumerations, identities, booleans...) by canonical text, byte by byte;
 * - the canonical text breaks the remaining ties, so the order is total.
 * Ordered-by user lists and leaf-lists, key-less lists and state leaf-lists are left as they are.
 */
enum value_class { VC_NUMBER, VC_IPV4, VC_IPV6, VC_TEXT };

struct sort_value {
    enum value_class cls;
    int is_signed;                /* VC_NUMBER: integer in s (signed) or u (unsigned), else decimal in d */
    int is_decimal;
    int64_t s;
    uint64_t u;
    double d;
    unsigned char addr[16];      /* VC_IPV4 (4 bytes), VC_IPV6 */
    const char *zone;            /* after '%' in the canonical text, "" if none */
    const char *text;            /* canonical text */
};

static void sort_value_of(const struct lyd_value *v, const char *text, struct sort_value *out) {
    const struct lysc_type *type;
    char buf[INET6_ADDRSTRLEN + 1];
    const char *pct;
    size_t len;

    /* A union stores its member's value in subvalue; a leafref is stored as its target type already. */
    while (v->realtype->basetype == LY_TYPE_UNION && v->subvalue) {
        v = &v->subvalue->value;
    }
    type = v->realtype;
    memset(out, 0, sizeof *out);
    out->cls = VC_TEXT;
    out->text = text ? text : "";
    out->zone = "";
    switch (type->basetype) {
    case LY_TYPE_INT8: out->cls = VC_NUMBER; out->is_signed = 1; out->s = v->int8; return;
    case LY_TYPE_INT16: out->cls = VC_NUMBER; out->is_signed = 1; out->s = v->int16; return;
    case LY_TYPE_INT32: out->cls = VC_NUMBER; out->is_signed = 1; out->s = v->int32; return;
    case LY_TYPE_INT64: out->cls = VC_NUMBER; out->is_signed = 1; out->s = v->int64; return;
    case LY_TYPE_UINT8: out->cls = VC_NUMBER; out->u = v->uint8; return;
    case LY_TYPE_UINT16: out->cls = VC_NUMBER; out->u = v->uint16; return;
    case LY_TYPE_UINT32: out->cls = VC_NUMBER; out->u = v->uint32; return;
    case LY_TYPE_UINT64: out->cls = VC_NUMBER; out->u = v->uint64; return;
    case LY_TYPE_DEC64: {
        double scale = 1;
        uint8_t i;
        for (i = 0; i < ((const struct lysc_type_dec *)type)->fraction_digits; i++) {
            scale *= 10;
        }
        out->cls = VC_NUMBER;
        out->is_decimal = 1;
        out->d = (double)v->dec64 / scale;
        return;
    }
    default:
        break;
    }
    /* ietf-inet-types' address types have their own plugins in libyang (ipv4-address, ipv4-address-no-zone,
     * ipv6-address, ipv6-address-no-zone); the prefix types are compared as text. */
    if (!type->plugin || !type->plugin->id) {
        return;
    }
    if (strstr(type->plugin->id, "ipv4-address") || strstr(type->plugin->id, "ipv6-address")) {
        int v6 = strstr(type->plugin->id, "ipv6-address") != NULL;
        pct = strchr(out->text, '%');
        len = pct ? (size_t)(pct - out->text) : strlen(out->text);
        if (len >= sizeof buf) {
            return;
        }
        memcpy(buf, out->text, len);
        buf[len] = '\0';
        if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, out->addr) == 1) {
            out->cls = v6 ? VC_IPV6 : VC_IPV4;
            out->zone = pct ? pct + 1 : "";
        }
    }
}

static int cmp_number(const struct sort_value *a, const struct sort_value *b) {
    if (a->is_decimal || b->is_decimal) {
        double x = a->is_decimal ? a->d : a->is_signed ? (double)a->s : (double)a->u;
        double y = b->is_decimal ? b->d : b->is_signed ? (double)b->s : (double)b->u;
        return (x > y) - (x < y);
    }
    if (a->is_signed && a->s < 0) {
        return b->is_signed && b->s < 0 ? (a->s > b->s) - (a->s < b->s) : -1;
    }
    if (b->is_signed && b->s < 0) {
        return 1;
    }
    {
        uint64_t x = a->is_signed ? (uint64_t)a->s : a->u, y = b->is_signed ? (uint64_t)b->s : b->u;
        return (x > y) - (x < y);
    }
}

static int cmp_sort_values(const struct sort_value *a, const struct sort_value *b) {
    int c = 0;

    if (a->cls != b->cls) {
        return a->cls < b->cls ? -1 : 1;
    }
    switch (a->cls) {
    case VC_NUMBER:
        c = cmp_number(a, b);
        break;
    case VC_IPV4:
        c = memcmp(a->addr, b->addr, 4);
        break;
    case VC_IPV6:
        c = memcmp(a->addr, b->addr, 16);
        break;
    case VC_TEXT:
        break;
    }
    if (!c && (a->cls == VC_IPV4 || a->cls == VC_IPV6)) {
        c = strcmp(a->zone, b->zone);
    }
    return c ? c : strcmp(a->text, b->text);
}

/*
 * A sibling with its identity precomputed once (a comparison must not classify and parse values again):
 * the keys of a list entry in key order, the value of a leaf-list entry, nothing for other nodes.
 */
struct sort_item {
    struct lyd_node *node;
    const struct sort_value *keys;
    uint32_t nkeys;
};

/* Buffers reused for every sibling set of a walk. */
struct sort_buf {
    struct sort_item *items;
    size_t cap;
    struct sort_value *values;
    size_t value_cap;
};

static int grow(void **p, size_t *cap, size_t n, size_t size) {
    if (n > *cap) {
        size_t c = *cap ? *cap : 64;
        void *q;
        while (c < n) {
            c *= 2;
        }
        if (!(q = realloc(*p, c * size))) {
            return -1;
        }
        *p = q;
        *cap = c;
    }
    return 0;
}

/* Whether a node's entries have an identity by value: a list with keys or a leaf-list. */
static int has_value_identity(const struct lysc_node *schema) {
    return schema && (schema->nodetype == LYS_LEAFLIST || (schema->nodetype == LYS_LIST && !(schema->flags & LYS_KEYLESS)));
}

/*
 * Fills buf->items with the n siblings from `from` that have a schema node. libyang keeps the keys of a list
 * entry as its first children, in the order of the key statement. Returns the item count, -1 without memory.
 */
static long sort_items(struct sort_buf *buf, struct lyd_node *from, size_t n) {
    struct lyd_node *node, *key;
    size_t i, count = 0, nvalues = 0, v = 0;

    for (i = 0, node = from; i < n; i++, node = node->next) {
        if (!node->schema) {
            continue;
        }
        count++;
        if (node->schema->nodetype == LYS_LEAFLIST) {
            nvalues++;
        } else if (has_value_identity(node->schema)) {
            for (key = lyd_child(node); key && lysc_is_key(key->schema); key = key->next) {
                nvalues++;
            }
        }
    }
    if (grow((void **)&buf->items, &buf->cap, count, sizeof *buf->items)
            || grow((void **)&buf->values, &buf->value_cap, nvalues, sizeof *buf->values)) {
        return -1;
    }
    count = 0;
    for (i = 0, node = from; i < n; i++, node = node->next) {
        struct sort_item *item = &buf->items[count];
        if (!node->schema) {
            continue;
        }
        item->node = node;
        item->keys = &buf->values[v];
        item->nkeys = 0;
        if (node->schema->nodetype == LYS_LEAFLIST) {
            sort_value_of(&((struct lyd_node_term *)node)->value, lyd_get_value(node), &buf->values[v++]);
            item->nkeys = 1;
        } else if (has_value_identity(node->schema)) {
            for (key = lyd_child(node); key && lysc_is_key(key->schema); key = key->next) {
                sort_value_of(&((struct lyd_node_term *)key)->value, lyd_get_value(key), &buf->values[v++]);
                item->nkeys++;
            }
        }
        count++;
    }
    return (long)count;
}

/* Two entries of the same list (by their keys, in key order) or of the same leaf-list (by value). */
static int cmp_items(const void *x, const void *y) {
    const struct sort_item *a = x, *b = y;
    uint32_t i;
    int c;

    for (i = 0; i < a->nkeys && i < b->nkeys; i++) {
        if ((c = cmp_sort_values(&a->keys[i], &b->keys[i]))) {
            return c;
        }
    }
    return (a->nkeys > b->nkeys) - (a->nkeys < b->nkeys);
}

static int is_system_ordered(const struct lysc_node *schema) {
    return has_value_identity(schema) && !lysc_is_userordered(schema);
}

/*
 * Sorts the ordered-by system runs among the siblings starting at *first (the parent's child pointer, or the
 * tree's root), then the children of every inner sibling. libyang keeps the instances of one list or
 * leaf-list next to each other, so each run is relinked in place: only the next/prev pointers and the first
 * sibling change (the children hash table holds the nodes, not their order).
 */
/*
 * libyang's internal hash table API (src/hash_table.h of 2.1.30; linked from the static library). A parent's
 * children table holds, besides every child, the first instance of each (leaf-)list under a hash of the
 * schema alone: lyd_find_sibling_val(schema) and the insertion of new nodes (which go before the first
 * instance of the next schema sibling) use it. Reordering a list must keep that entry on the new first.
 */
struct hash_table;
LY_ERR lyht_insert(struct hash_table *ht, void *val_p, uint32_t hash, void **match_p);
LY_ERR lyht_remove(struct hash_table *ht, void *val_p, uint32_t hash);
uint32_t dict_hash_multi(uint32_t hash, const char *key_part, size_t len);

static int rehash_first_instance(struct lyd_node *old_first, struct lyd_node *new_first) {
    struct lyd_node_inner *parent = old_first->parent;
    const struct lysc_node *schema = old_first->schema;
    uint32_t hash;

    if (old_first == new_first || !parent || !parent->schema || !parent->children_ht) {
        return 0;
    }
    hash = dict_hash_multi(0, schema->module->name, strlen(schema->module->name));
    hash = dict_hash_multi(hash, schema->name, strlen(schema->name));
    hash = dict_hash_multi(hash, NULL, 0);
    if (lyht_remove(parent->children_ht, &old_first, hash) || lyht_insert(parent->children_ht, &new_first, hash, NULL)) {
        return -1;
    }
    return 0;
}

static int sort_siblings(struct lyd_node **first, struct sort_buf *buf) {
    struct lyd_node *run, *end, *before, *last, *node;
    struct sort_item *items;
    size_t n, i;

    for (run = *first; run; run = end) {
        for (n = 1, end = run->next; end && end->schema && end->schema == run->schema; end = end->next) {
            n++;
        }
        if (n < 2 || !is_system_ordered(run->schema)) {
            continue;
        }
        if (sort_items(buf, run, n) < 0) {
            return -1;
        }
        items = buf->items;
        /* Already in order (a tree sorted before and changed a little since): nothing to relink. */
        for (i = 0; i + 1 < n && cmp_items(&items[i], &items[i + 1]) <= 0; i++) {
        }
        if (i + 1 >= n) {
            continue;
        }
        before = run == *first ? NULL : run->prev;
        last = (*first)->prev;
        qsort(items, n, sizeof *items, cmp_items);
        for (i = 0; i + 1 < n; i++) {
            items[i].node->next = items[i + 1].node;
            items[i + 1].node->prev = items[i].node;
        }
        items[n - 1].node->next = end;
        if (before) {
            before->next = items[0].node;
            items[0].node->prev = before;
        } else {
            *first = items[0].node;
        }
        if (end) {
            end->prev = items[n - 1].node;
        } else {
            last = items[n - 1].node;
        }
        (*first)->prev = last;
        if (rehash_first_instance(run, items[0].node)) {
            return -1;
        }
    }
    LY_LIST_FOR(*first, node) {
        if (node->schema && (node->schema->nodetype & LYD_NODE_INNER) && lyd_child(node)
                && sort_siblings(&((struct lyd_node_inner *)node)->child, buf)) {
            return -1;
        }
    }
    return 0;
}

/* Puts every ordered-by system list and leaf-list of the tree in canonical order; O(n log n), one pass for a list already in order. */
EMSCRIPTEN_KEEPALIVE int lyw_sort(struct lyw_tree *t) {
    struct sort_buf buf = {NULL, 0, NULL, 0};
    int rc;

    ly_err_clean(t->ctx, NULL);
    if (!t->root) {
        return 0;
    }
    rc = sort_siblings(&t->root, &buf);
    free(buf.items);
    free(buf.values);
    if (rc) {
        set_glue_error("Out of memory while sorting the data.%s%s", "", "");
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------------ */
/* Diff                                                                                               */

/* Returns a tree handle holding the diff (root NULL if the trees are equal), NULL on error. */
EMSCRIPTEN_KEEPALIVE struct lyw_tree *lyw_diff(struct lyw_tree *from, struct lyw_tree *to, unsigned options) {
    struct lyd_node *diff = NULL;

    ly_err_clean(from->ctx, NULL);
    if (lyd_diff_siblings(from->root, to->root, (uint16_t)options, &diff)) {
        lyd_free_all(diff);
        return NULL;
    }
    return tree_new(from->ctx, diff);
}

/* Schema path with every node prefixed by its module name, choice and case skipped: /m:a/m:b/m:c. */
static int schema_path(struct wbuf *wb, const struct lysc_node *schema) {
    if (!schema) {
        return 0;
    }
    if (schema_path(wb, schema->parent)) {
        return -1;
    }
    if (!(schema->nodetype & (LYS_CHOICE | LYS_CASE))) {
        return wb_putc(wb, '/') || wb_puts(wb, schema->module->name) || wb_putc(wb, ':') || wb_puts(wb, schema->name);
    }
    return 0;
}

static const char *meta_value(const struct lyd_node *node, const struct lys_module *mod, const char *name) {
    struct lyd_meta *meta = lyd_find_meta(node->meta, mod, name);
    return meta ? lyd_get_meta_value(meta) : NULL;
}

/* The record format of lyw_diff_changes, decoded by Diff.changes() in src/index.ts. */
enum {
    CHG_OP_MASK = 3,         /* yang:operation: 0 none, 1 create, 2 delete, 3 replace */
    CHG_INHERITED = 1 << 2,  /* the operation is an ancestor's */
    CHG_VALUE = 1 << 3,      /* a string follows: the value */
    CHG_PREVIOUS = 1 << 4,   /* a string follows: yang:orig-value */
    CHG_PREDICATE = 1 << 5,  /* a string follows: the predicates of the node's path step */
    CHG_FULL_PATH = 1 << 6,  /* a string follows: the whole data path (lyd_path, for opaque nodes) */
    CHG_NEW_STEP = 1 << 7,   /* two strings follow: the schema path and the name step of a new step entry */
    CHG_TYPE_SHIFT = 8,      /* 3 bits: index into NODE_TYPES */
    CHG_DEPTH_SHIFT = 11,
};
static const char *const DIFF_OPERATIONS[] = {"none", "create", "delete", "replace"};

/* The index into NODE_TYPES (src/index.ts) of a node's type; an opaque node counts as a container. */
static int node_type_code(const struct lysc_node *schema) {
    switch (schema ? schema->nodetype : 0) {
    case LYS_LIST:
        return 1;
    case LYS_LEAF:
        return 2;
    case LYS_LEAFLIST:
        return 3;
    case LYS_ANYDATA:
        return 4;
    case LYS_ANYXML:
        return 5;
    default:
        return 0;
    }
}

/*
 * The steps met by one lyw_diff_changes walk: per schema node and whether its path step carries the module
 * prefix, an index into the table the JS side rebuilds (schema path and "/prefix:name" sent once).
 * Open addressing over the pointer with the prefix flag in its low bit, or 2 for a step given as a whole
 * path (schema nodes are malloc()ed, so their two low bits are free).
 */
struct step_table {
    uintptr_t *keys;
    size_t cap, count;
};

/* The index of key's entry; *added tells whether it is new. -1 without memory. */
static long step_index(struct step_table *t, uintptr_t key, int *added) {
    size_t i;

    if (2 * (t->count + 1) > t->cap) {
        struct step_table bigger = {calloc(t->cap ? 2 * t->cap : 64, 2 * sizeof(uintptr_t)), t->cap ? 2 * t->cap : 64, 0};
        if (!bigger.keys) {
            return -1;
        }
        for (i = 0; i < t->cap; i++) {
            if (t->keys[2 * i]) {
                size_t j = (t->keys[2 * i] >> 3) * 2654435761u % bigger.cap;
                while (bigger.keys[2 * j]) {
                    j = (j + 1) % bigger.cap;
                }
                bigger.keys[2 * j] = t->keys[2 * i];
                bigger.keys[2 * j + 1] = t->keys[2 * i + 1];
            }
        }
        bigger.count = t->count;
        free(t->keys);
        *t = bigger;
    }
    for (i = (key >> 3) * 2654435761u % t->cap; t->keys[2 * i]; i = (i + 1) % t->cap) {
        if (t->keys[2 * i] == key) {
            *added = 0;
            return (long)t->keys[2 * i + 1];
        }
    }
    t->keys[2 * i] = key;
    t->keys[2 * i + 1] = t->count;
    *added = 1;
    return (long)t->count++;
}

/* A path predicate value, quoted as lyd_path quotes it. */
static int put_quoted(struct wbuf *wb, const char *value) {
    char quote = strchr(value, '\'') ? '"' : '\'';
    return wb_putc(wb, quote) || wb_puts(wb, value) || wb_putc(wb, quote);
}

/*
 * The predicates lyd_path (LYD_PATH_STD) appends to a node's step: the keys of a list entry, the value of a
 * configuration leaf-list entry, else the position (pos) of a keyless list or state leaf-list entry.
 */
static int step_predicates(struct wbuf *wb, const struct lyd_node *node, uint32_t pos) {
    const struct lyd_node *key;
    char digits[12];

    if (node->schema->nodetype == LYS_LIST && !(node->schema->flags & LYS_KEYLESS)) {
        for (key = lyd_child(node); key && key->schema && (key->schema->flags & LYS_KEY); key = key->next) {
            if (wb_putc(wb, '[') || wb_puts(wb, key->schema->name) || wb_putc(wb, '=') || put_quoted(wb, lyd_get_value(key))
                    || wb_putc(wb, ']')) {
                return -1;
            }
        }
        return 0;
    }
    if (node->schema->nodetype == LYS_LEAFLIST && (node->schema->flags & LYS_CONFIG_W)) {
        return wb_puts(wb, "[.=") || put_quoted(wb, lyd_get_value(node)) || wb_putc(wb, ']');
    }
    snprintf(digits, sizeof digits, "%u", (unsigned)pos);
    return wb_putc(wb, '[') || wb_puts(wb, digits) || wb_putc(wb, ']');
}

/* Appends s (NULL for nothing) as the next element of the JSON string array in strings. */
static int put_string(struct wbuf *strings, const char *s) {
    return (strings->len > 1 && wb_putc(strings, ',')) || wb_json_str(strings, s);
}

static int put_step_entry(struct wbuf *strings, struct wbuf *scratch, const struct lyd_node *node, int prefixed) {
    scratch->len = 0;
    if (schema_path(scratch, node->schema) || wb_putc(scratch, '\0') || put_string(strings, scratch->data)) {
        return -1;
    }
    scratch->len = 0;
    if (node->schema && (wb_putc(scratch, '/') || (prefixed && (wb_puts(scratch, node->schema->module->name) || wb_putc(scratch, ':')))
            || wb_puts(scratch, node->schema->name))) {
        return -1;
    }
    return wb_putc(scratch, '\0') || put_string(strings, scratch->data);
}

/* Per depth of the walk: the node, its effective operation (-1: none) and the run of same-schema siblings. */
struct walk_level {
    const struct lyd_node *node;
    int op;
    const struct lysc_node *run_schema;
    uint32_t run_pos;
};

/*
 * Every node of the diff, in depth-first order, as a compact record stream:
 *   uint32 record count, uint32 byte length of the strings, then per record two int32 (flags as CHG_*,
 *   step-table index), then the strings as one JSON array of strings, consumed in record order.
 * A node's data path is its parent's plus its step (name, with the module prefix where the module changes,
 * then the predicates lyd_path would print), so nothing is printed per node that the parent already has.
 * The yang:operation of a node is its own or, for the descendants of a created or deleted subtree,
 * inherited from the nearest ancestor carrying it; it is carried down the walk.
 */
EMSCRIPTEN_KEEPALIVE char *lyw_diff_changes(struct lyw_tree *diff) {
    const struct lys_module *yang = ly_ctx_get_module_implemented(diff->ctx, "yang");
    struct wbuf strings = {NULL, 0, 0}, scratch = {NULL, 0, 0};
    struct step_table steps = {NULL, 0, 0};
    struct walk_level *levels = NULL;
    int32_t *records = NULL;
    size_t levels_cap = 0, records_cap = 0, count = 0, depth = 0;
    const struct lyd_node *node = diff->root;
    char *out = NULL;
    int failed = 0;

    if (grow((void **)&levels, &levels_cap, 1, sizeof *levels) || wb_putc(&strings, '[')) {
        failed = 1;
    } else {
        levels[0].run_schema = NULL;
    }
    while (node && !failed) {
        const struct lyd_node *parent = depth ? levels[depth - 1].node : NULL;
        const struct lyd_node *child;
        struct walk_level *level = &levels[depth];
        const char *own = meta_value(node, yang, "operation");
        int inherited = 0, op = -1, flags, added = 0;
        long step = 0;

        if (depth > (size_t)(INT32_MAX >> CHG_DEPTH_SHIFT)) {
            set_glue_error("The diff is nested too deeply to list its changes.%s%s", "", "");
            failed = 1;
            break;
        }
        if (own) {
            for (op = 0; op < 4 && strcmp(own, DIFF_OPERATIONS[op]); op++) {
            }
            if (op == 4) {
                set_glue_error("Unknown yang:operation \"%s\" in a diff.%s", own, "");
                failed = 1;
                break;
            }
        } else if (depth && levels[depth - 1].op >= 0) {
            op = levels[depth - 1].op;
            inherited = 1;
        }
        level->node = node;
        level->op = op;
        if (node->schema && node->schema == level->run_schema) {
            level->run_pos++;
        } else {
            level->run_schema = node->schema;
            level->run_pos = 1;
        }

        flags = (op < 0 ? 0 : op) | (inherited ? CHG_INHERITED : 0) | node_type_code(node->schema) << CHG_TYPE_SHIFT
                | (int)(depth << CHG_DEPTH_SHIFT);
        if (!node->schema || (parent && !parent->schema)) {
            /* An opaque node or the child of one: lyd_path itself (modules resolved from namespaces). */
            char *path = lyd_path(node, LYD_PATH_STD, NULL, 0);
            flags |= CHG_FULL_PATH;
            step = step_index(&steps, 2 | (uintptr_t)node->schema, &added);
            failed = step < 0 || (added && put_step_entry(&strings, &scratch, node, 0)) || put_string(&strings, path);
            free(path);
        } else {
            int prefixed = !parent || parent->schema->module != node->schema->module;
            step = step_index(&steps, (uintptr_t)node->schema | (uintptr_t)prefixed, &added);
            failed = step < 0 || (added && put_step_entry(&strings, &scratch, node, prefixed));
            if (!failed && (node->schema->nodetype & (LYS_LIST | LYS_LEAFLIST))) {
                scratch.len = 0;
                flags |= CHG_PREDICATE;
                failed = step_predicates(&scratch, node, level->run_pos) || wb_putc(&scratch, '\0') || put_string(&strings, scratch.data);
            }
        }
        if (added) {
            flags |= CHG_NEW_STEP;
        }
        if (!failed && node->schema && (node->schema->nodetype & LYD_NODE_TERM)) {
            const char *value = lyd_get_value(node);
            const char *previous = NULL;
            if (!inherited && op == 3 && node->schema->nodetype == LYS_LEAF) {
                previous = meta_value(node, yang, "orig-value");
            }
            if (value) {
                flags |= CHG_VALUE;
                failed = put_string(&strings, value);
            }
            if (previous && !failed) {
                flags |= CHG_PREVIOUS;
                failed = put_string(&strings, previous);
            }
        }
        if (failed || grow((void **)&records, &records_cap, 2 * (count + 1), sizeof *records)) {
            failed = 1;
            break;
        }
        records[2 * count] = flags;
        records[2 * count + 1] = (int32_t)step;
        count++;

        /* Next in depth-first order: the first child (keys first), else the next sibling of the node or of
         * its nearest ancestor that has one. */
        if ((child = lyd_child(node))) {
            if (grow((void **)&levels, &levels_cap, depth + 2, sizeof *levels)) {
                failed = 1;
                break;
            }
            depth++;
            levels[depth].run_schema = NULL;
            node = child;
            continue;
        }
        while (!node->next && depth) {
            depth--;
            node = levels[depth].node;
        }
        node = node->next;
    }
    if (!failed && !wb_putc(&strings, ']')) {
        size_t head = 8 + 8 * count;
        if ((out = malloc(head + strings.len + 1))) {
            uint32_t sizes[2] = {(uint32_t)count, (uint32_t)strings.len};
            memcpy(out, sizes, 8);
            memcpy(out + 8, records, 8 * count);
            memcpy(out + head, strings.data, strings.len);
            out[head + strings.len] = '\0';
        }
    }
    if (!out && !glue_error[0]) {
        set_glue_error("Out of memory while listing the diff.%s%s", "", "");
    }
    free(strings.data);
    free(scratch.data);
    free(steps.keys);
    free(levels);
    free(records);
    return out;
}

/* ------------------------------------------------------------------------------------------------ */
/* XPath                                                                                              */

/*
 * XPath evaluation. prefixes: '\n'-separated "prefix namespace" pairs (the xmlns declarations of a NETCONF
 * :xpath filter); without them, prefixes are module names (libyang's JSON format).
 */
/*
 * Mirror of libyang's internal struct lyxml_ns (src/xml.h of 2.1.30): the prefix data of LY_VALUE_XML is a
 * set of these, exactly what libyang's XML parser builds from xmlns declarations. The schema-resolved
 * format cannot be used here, it needs a current module.
 */
struct lyw_xml_ns {
    char *prefix;
    char *uri;
    uint32_t depth;
};

static LY_ERR find_xpath(struct lyw_tree *t, const char *xpath, const char *prefixes, struct ly_set **set) {
    const char **lines = split_lines(prefixes);
    struct lyw_xml_ns *nss = NULL;
    struct ly_set *ns_set = NULL;
    LY_ERR rc;
    size_t n = 0, i;

    *set = NULL;
    if (!lines) {
        return lyd_find_xpath3(NULL, t->root, xpath, NULL, set);
    }
    while (lines[n]) {
        n++;
    }
    nss = calloc(n, sizeof *nss);
    rc = ly_set_new(&ns_set);
    for (i = 0; !rc && i < n; i++) {
        char *sp = strchr(lines[i], ' ');
        if (!sp) {
            continue;
        }
        *sp = '\0';
        nss[i].prefix = *lines[i] ? (char *)lines[i] : NULL;
        nss[i].uri = sp + 1;
        rc = ly_set_add(ns_set, &nss[i], 1, NULL);
    }
    if (!rc) {
        rc = lyd_find_xpath4(NULL, t->root, xpath, LY_VALUE_XML, ns_set, NULL, set);
    }
    ly_set_free(ns_set, NULL);
    free(nss);
    free(lines);
    return rc;
}

/* A new tree with the matched nodes, their subtrees and their ancestors (with list keys). */
EMSCRIPTEN_KEEPALIVE struct lyw_tree *lyw_select(struct lyw_tree *t, const char *xpath, const char *prefixes) {
    struct lyd_node *result = NULL, *dup, *top;
    struct ly_set *set = NULL;
    uint32_t i;

    ly_err_clean(t->ctx, NULL);
    if (!t->root) {
        return tree_new(t->ctx, NULL);
    }
    if (find_xpath(t, xpath, prefixes, &set)) {
        return NULL;
    }
    for (i = 0; i < set->count; i++) {
        if (lyd_dup_single(set->dnodes[i], NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS | LYD_DUP_WITH_FLAGS, &dup)) {
            goto fail;
        }
        for (top = dup; top->parent; top = lyd_parent(top)) {}
        if (lyd_merge_siblings(&result, top, LYD_MERGE_DESTRUCT | LYD_MERGE_DEFAULTS)) {
            goto fail;
        }
    }
    ly_set_free(set, NULL);
    return tree_new(t->ctx, result);

fail:
    ly_set_free(set, NULL);
    lyd_free_all(result);
    return NULL;
}

EMSCRIPTEN_KEEPALIVE char *lyw_paths(struct lyw_tree *t, const char *xpath, const char *prefixes) {
    struct ly_set *set = NULL;
    struct jbuf jb;
    uint32_t i;

    ly_err_clean(t->ctx, NULL);
    if (t->root && find_xpath(t, xpath, prefixes, &set)) {
        return NULL;
    }
    jb_open(&jb);
    fputc('[', jb.f);
    for (i = 0; set && i < set->count; i++) {
        char *path = lyd_path(set->dnodes[i], LYD_PATH_STD, NULL, 0);
        if (i) {
            fputc(',', jb.f);
        }
        jb_str(&jb, path);
        free(path);
    }
    fputc(']', jb.f);
    ly_set_free(set, NULL);
    return jb_close(&jb);
}

/* ------------------------------------------------------------------------------------------------ */
/* Operations                                                                                         */

/* data_type: enum lyd_type. request: for replies, the request the reply answers (its op is duplicated). */
EMSCRIPTEN_KEEPALIVE struct lyw_op *lyw_parse_op(struct ly_ctx *ctx, const char *text, int format, int data_type,
        struct lyw_op *request) {
    struct lyd_node *tree = NULL, *op = NULL, *parent = NULL;
    struct ly_in *in = NULL;
    struct lyw_op *result;
    LY_ERR rc;

    ly_err_clean(ctx, NULL);
    if (data_type == LYD_TYPE_REPLY_YANG || data_type == LYD_TYPE_REPLY_NETCONF) {
        if (!request || !request->op) {
            set_glue_error("Parsing a reply needs the request it answers.%s%s", "", "");
            return NULL;
        }
        /* The reply is appended to the RPC/action node: work on a copy (with parents for an action). */
        if (lyd_dup_single(request->op, NULL, LYD_DUP_WITH_PARENTS, &parent)) {
            return NULL;
        }
    }
    if (ly_in_new_memory(text, &in)) {
        lyd_free_all(parent);
        return NULL;
    }
    if (parent) {
        rc = lyd_parse_op(ctx, parent, in, (LYD_FORMAT)format, (enum lyd_type)data_type,
                data_type == LYD_TYPE_REPLY_NETCONF ? &tree : NULL, NULL);
    } else {
        rc = lyd_parse_op(ctx, NULL, in, (LYD_FORMAT)format, (enum lyd_type)data_type, &tree, &op);
    }
    ly_in_free(in, 0);
    if (rc) {
        lyd_free_all(tree);
        if (parent) {
            struct lyd_node *top;
            for (top = parent; top->parent; top = lyd_parent(top)) {}
            lyd_free_all(top);
        } else if (op) {
            struct lyd_node *top;
            for (top = op; top->parent; top = lyd_parent(top)) {}
            if (top != tree) {
                lyd_free_all(top);
            }
        }
        return NULL;
    }
    result = calloc(1, sizeof *result);
    result->ctx = ctx;
    if (parent) {
        result->op = parent;
        result->envelope = tree;
    } else {
        result->op = op;
        if (data_type >= LYD_TYPE_RPC_NETCONF) {
            result->envelope = tree;
        }
    }
    for (result->tree = result->op; result->tree && result->tree->parent; result->tree = lyd_parent(result->tree)) {}
    if (!result->envelope && tree && tree != result->tree) {
        lyd_free_all(tree);
    }
    return result;
}

EMSCRIPTEN_KEEPALIVE char *lyw_op_name(struct lyw_op *o) {
    const struct lyd_node *n = o->op;
    struct jbuf jb;

    jb_open(&jb);
    if (n && n->schema) {
        fprintf(jb.f, "%s:%s", n->schema->module->name, n->schema->name);
    } else if (n) {
        fprintf(jb.f, "%s", LYD_NAME(n));
    }
    return jb_close(&jb);
}

/* part: 0 = the operation tree, 1 = the NETCONF envelope. */
EMSCRIPTEN_KEEPALIVE char *lyw_op_print(struct lyw_op *o, int part, int format, unsigned options) {
    ly_err_clean(o->ctx, NULL);
    return print_forest(part ? o->envelope : o->tree, format, options);
}

/*
 * An RPC's input validated as its server does (Netopeer2 through sysrepo): lyd_parse_op only parses, so
 * mandatory nodes and choices, duplicate instances, when and must are checked here, and leafrefs against
 * dep (the data they point into; NULL: none). Defaults are added to the input.
 */
EMSCRIPTEN_KEEPALIVE int lyw_op_validate(struct lyw_op *o, struct lyw_tree *dep) {
    ly_err_clean(o->ctx, NULL);
    return lyd_validate_op(o->op, dep ? dep->root : NULL, LYD_TYPE_RPC_YANG, NULL);
}

EMSCRIPTEN_KEEPALIVE void lyw_op_free(struct lyw_op *o) {
    if (o) {
        lyd_free_all(o->tree);
        lyd_free_all(o->envelope);
        free(o);
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* Change tracking: transactions that cost O(change) instead of O(datastore)                          */
/*
 * A datastore edited in place records, for every point it changes, the data path and the subtree as it was
 * before (NULL for a node that did not exist). The records give:
 *  - undo: restored in reverse order, the tree is exactly what it was (an edit that fails, validation that
 *    fails, test-only);
 *  - the changed paths: commit diffs and copies only those subtrees between candidate and running;
 *  - local validation: when every change lies inside an entry of a "self-contained" list, validating a copy
 *    of the tree that keeps only the changed entries of such lists checks everything the change can affect.
 *
 * A list is self-contained when nothing outside one of its entries can observe that entry: no must, when or
 * leafref path evaluated outside the entry reaches the list or any node below it, none inside it reaches
 * the list node itself (that is how an entry sees its siblings), and it has no unique, min-elements or
 * max-elements (constraints over all entries). bmpd's neighbor lists are; bmp servers and peer-groups are
 * not (neighbors refer to them), so a change to those validates the whole tree as before.
 */

struct lyw_rec {
    char *path;          /* the changed node */
    char *parent_path;   /* its parent, NULL at top level */
    char *anchor_path;   /* ordered-by user: the next instance, to restore the position */
    char *entry_path;    /* outermost entry of a self-contained list holding the node, NULL if none */
    struct lyd_node *before; /* the node as it was (detached subtree), NULL if it did not exist */
};

struct lyw_log {
    struct lyw_rec *recs;
    size_t n, cap;
    int nonlocal;        /* some change is outside every self-contained list entry */
    int failed;          /* out of memory while recording: undo impossible, paths unknown */
};

/* Per context: the self-contained lists, computed once per module set. */
struct lyw_schema_info {
    const struct ly_ctx *ctx;
    uint16_t change_count;
    int usable;          /* 0: an expression could not be analysed, or keyless config lists exist */
    struct ly_set *lists;
};

static struct lyw_schema_info schema_infos[4];

static void schema_info_forget(const struct ly_ctx *ctx) {
    size_t i;

    for (i = 0; i < sizeof schema_infos / sizeof *schema_infos; i++) {
        if (schema_infos[i].ctx == ctx) {
            ly_set_free(schema_infos[i].lists, NULL);
            memset(&schema_infos[i], 0, sizeof schema_infos[i]);
        }
    }
}

struct analysis {
    struct ly_set *lists;   /* candidates */
    struct ly_set *bad;     /* observed from outside, or constrained over all entries */
    int failed;
    struct jbuf *why;       /* when set: a JSON line per list and expression that observes it */
};

/* Mirror of libyang's internal struct lyxp_expr (src/xpath.h of 2.1.30), for the expression's text. */
struct lyw_xp_expr {
    void *tokens;
    uint32_t *tok_pos;
    uint32_t *tok_len;
    void **repeat;
    uint32_t used;
    uint32_t size;
    const char *expr;
};

static int is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/*
 * Whether the expression can select entries of list other than the one it is evaluated in. From inside an
 * entry, the list node is an atom both for current() or ".." chains that stay in the entry and for a path
 * to the other entries; the latter must name the list in a step, use a wildcard or descendant step, or walk
 * sibling axes. Judged on the expression's text, conservatively (a literal equal to the name counts too).
 */
static int may_select_other_entries(const struct lyxp_expr *expr, const struct lysc_node *list) {
    const char *text = ((const struct lyw_xp_expr *)expr)->expr, *at;
    size_t len = strlen(list->name);

    if (!text || strchr(text, '*') || strstr(text, "//") || strstr(text, "descendant") || strstr(text, "sibling")
            || strstr(text, "preceding") || strstr(text, "following")) {
        return 1;
    }
    for (at = strstr(text, list->name); at; at = strstr(at + 1, list->name)) {
        if ((at == text || !is_name_char(at[-1])) && !is_name_char(at[len])) {
            return 1;
        }
    }
    return 0;
}

static int schema_inside(const struct lysc_node *node, const struct lysc_node *ancestor) {
    for (; node; node = node->parent) {
        if (node == ancestor) {
            return 1;
        }
    }
    return 0;
}

static void mark_observed(struct analysis *a, const struct lysc_node *list, const struct lysc_node *ctx_node,
        const struct lyxp_expr *expr) {
    ly_set_add(a->bad, (void *)list, 0, NULL);
    if (a->why) {
        char *lp = lysc_path(list, LYSC_PATH_DATA, NULL, 0), *cp = ctx_node ? lysc_path(ctx_node, LYSC_PATH_DATA, NULL, 0) : NULL;
        fputs("{\"list\":", a->why->f);
        jb_str(a->why, lp);
        fputs(",\"context\":", a->why->f);
        jb_str(a->why, cp ? cp : "/");
        fputs(",\"expression\":", a->why->f);
        jb_str(a->why, ((const struct lyw_xp_expr *)expr)->expr);
        fputs("},", a->why->f);
        free(lp);
        free(cp);
    }
}

/* Marks the lists an expression evaluated at ctx_node can observe from outside their entries. */
static void analyse_expr(struct analysis *a, const struct lysc_node *ctx_node, const struct lys_module *mod,
        const struct lyxp_expr *expr, const struct lysc_prefix *prefixes) {
    struct ly_set *atoms = NULL;
    const struct lysc_node *p;
    uint32_t i;

    if (!expr) {
        return;
    }
    if (lys_find_expr_atoms(ctx_node, mod, expr, prefixes, 0, &atoms)) {
        a->failed = 1;
        return;
    }
    for (i = 0; i < atoms->count; i++) {
        const struct lysc_node *atom = atoms->snodes[i];
        for (p = atom; p; p = p->parent) {
            if (p->nodetype != LYS_LIST) {
                continue;
            }
            if (!schema_inside(ctx_node, p)) {
                /* Observed from outside the entry. */
                mark_observed(a, p, ctx_node, expr);
            } else if (p == atom && may_select_other_entries(expr, p)) {
                /* From inside, selecting the list's other entries. */
                mark_observed(a, p, ctx_node, expr);
            }
        }
    }
    ly_set_free(atoms, NULL);
}

static void analyse_type(struct analysis *a, const struct lysc_node *node, const struct lysc_type *type) {
    LY_ARRAY_COUNT_TYPE u;

    if (type->basetype == LY_TYPE_LEAFREF) {
        const struct lysc_type_leafref *lref = (const struct lysc_type_leafref *)type;
        analyse_expr(a, node, node->module, lref->path, lref->prefixes);
    } else if (type->basetype == LY_TYPE_UNION) {
        const struct lysc_type_union *un = (const struct lysc_type_union *)type;
        LY_ARRAY_FOR(un->types, u) {
            analyse_type(a, node, un->types[u]);
        }
    }
}

static LY_ERR analyse_node(struct lysc_node *node, void *data, ly_bool *dfs_continue) {
    struct analysis *a = data;
    struct lysc_must *musts;
    struct lysc_when **whens;
    LY_ARRAY_COUNT_TYPE u;

    (void)dfs_continue;
    /* Operations and state are not part of a configuration datastore. */
    if ((node->nodetype & (LYS_RPC | LYS_ACTION | LYS_NOTIF)) || (node->flags & (LYS_IS_INPUT | LYS_IS_OUTPUT | LYS_IS_NOTIF))
            || (node->flags & LYS_CONFIG_R)) {
        return LY_SUCCESS;
    }
    if (node->nodetype == LYS_LIST) {
        const struct lysc_node_list *list = (const struct lysc_node_list *)node;
        if (node->flags & LYS_KEYLESS) {
            a->failed = 1; /* paths of keyless entries are positions: nothing to record by */
        }
        ly_set_add(a->lists, node, 1, NULL);
        if (list->uniques || list->min || (list->max && list->max != UINT32_MAX)) {
            ly_set_add(a->bad, node, 0, NULL);
        }
    }
    musts = lysc_node_musts(node);
    LY_ARRAY_FOR(musts, u) {
        analyse_expr(a, node, node->module, musts[u].cond, musts[u].prefixes);
    }
    whens = lysc_node_when(node);
    LY_ARRAY_FOR(whens, u) {
        analyse_expr(a, whens[u]->context, node->module, whens[u]->cond, whens[u]->prefixes);
    }
    if (node->nodetype & LYD_NODE_TERM) {
        analyse_type(a, node, ((const struct lysc_node_leaf *)node)->type);
    }
    return LY_SUCCESS;
}

/* Runs the analysis over every implemented module; a->lists and a->bad must be allocated. */
static void analyse(const struct ly_ctx *ctx, struct analysis *a) {
    const struct lys_module *mod;
    uint32_t idx = 0;

    while ((mod = ly_ctx_get_module_iter(ctx, &idx))) {
        if (mod->implemented && mod->compiled) {
            lysc_module_dfs_full(mod, analyse_node, a);
        }
    }
    ly_err_clean((struct ly_ctx *)ctx, NULL);
}

static struct lyw_schema_info *schema_info(const struct ly_ctx *ctx) {
    struct lyw_schema_info *info = NULL;
    struct analysis a = {NULL, NULL, 0, NULL};
    uint32_t i;
    size_t k, n = sizeof schema_infos / sizeof *schema_infos;

    for (k = 0; k < n && !info; k++) {
        if (schema_infos[k].ctx == ctx) {
            if (schema_infos[k].change_count == ly_ctx_get_change_count(ctx)) {
                return &schema_infos[k];
            }
            info = &schema_infos[k];
        }
    }
    for (k = 0; k < n && !info; k++) {
        if (!schema_infos[k].ctx) {
            info = &schema_infos[k];
        }
    }
    if (!info) {
        info = &schema_infos[0];
    }
    ly_set_free(info->lists, NULL);
    memset(info, 0, sizeof *info);
    info->ctx = ctx;
    info->change_count = ly_ctx_get_change_count(ctx);
    if (ly_set_new(&a.lists) || ly_set_new(&a.bad)) {
        ly_set_free(a.lists, NULL);
        return info;
    }
    analyse(ctx, &a);
    if (!a.failed && !ly_set_new(&info->lists)) {
        for (i = 0; i < a.lists->count; i++) {
            if (!ly_set_contains(a.bad, a.lists->objs[i], NULL)) {
                ly_set_add(info->lists, a.lists->objs[i], 1, NULL);
            }
        }
        info->usable = 1;
    }
    ly_set_free(a.lists, NULL);
    ly_set_free(a.bad, NULL);
    return info;
}

/*
 * For tests and logs: {"usable":bool,"selfContained":[data paths],"observed":[{list,context,expression}]}
 * ("observed" names the expressions that keep a list from being self-contained).
 */
EMSCRIPTEN_KEEPALIVE char *lyw_self_contained_lists(struct ly_ctx *ctx) {
    struct lyw_schema_info *info = schema_info(ctx);
    struct analysis a = {NULL, NULL, 0, NULL};
    struct jbuf jb, why;
    char *observed;
    uint32_t i;

    jb_open(&jb);
    fprintf(jb.f, "{\"usable\":%s,\"selfContained\":[", info->usable ? "true" : "false");
    for (i = 0; info->usable && i < info->lists->count; i++) {
        char *path = lysc_path(info->lists->snodes[i], LYSC_PATH_DATA, NULL, 0);
        if (i) {
            fputc(',', jb.f);
        }
        jb_str(&jb, path);
        free(path);
    }
    fputs("],\"observed\":[", jb.f);
    jb_open(&why);
    a.why = &why;
    if (!ly_set_new(&a.lists) && !ly_set_new(&a.bad)) {
        analyse(ctx, &a);
    }
    ly_set_free(a.lists, NULL);
    ly_set_free(a.bad, NULL);
    observed = jb_close(&why);
    if (observed && *observed) {
        observed[strlen(observed) - 1] = '\0'; /* the trailing comma */
        fputs(observed, jb.f);
    }
    free(observed);
    fputs("]}", jb.f);
    return jb_close(&jb);
}

static int self_contained(const struct lyw_schema_info *info, const struct lysc_node *schema) {
    return info && info->usable && schema && schema->nodetype == LYS_LIST && ly_set_contains(info->lists, schema, NULL);
}

/* The outermost entry of a self-contained list holding node (node itself included), or NULL. */
static const struct lyd_node *self_contained_entry(const struct lyw_schema_info *info, const struct lyd_node *node) {
    const struct lyd_node *entry = NULL;

    for (; node; node = lyd_parent(node)) {
        if (self_contained(info, node->schema)) {
            entry = node;
        }
    }
    return entry;
}

static struct lyd_node *find_path(const struct lyd_node *root, const char *path) {
    struct lyd_node *match = NULL;

    if (!root || !path) {
        return NULL;
    }
    if (lyd_find_path(root, path, 0, &match)) {
        match = NULL;
    }
    ly_err_clean((struct ly_ctx *)LYD_CTX(root), NULL);
    return match;
}

static struct lyw_rec *log_push(struct lyw_log *log) {
    if (log->n == log->cap) {
        size_t cap = log->cap ? log->cap * 2 : 16;
        struct lyw_rec *recs = realloc(log->recs, cap * sizeof *recs);
        if (!recs) {
            log->failed = 1;
            return NULL;
        }
        log->recs = recs;
        log->cap = cap;
    }
    memset(&log->recs[log->n], 0, sizeof *log->recs);
    return &log->recs[log->n++];
}

/* Fills the paths a record needs from a node in the tree. */
static void rec_paths(struct lyw_log *log, const struct ly_ctx *ctx, struct lyw_rec *r, const struct lyd_node *node) {
    const struct lyd_node *entry = self_contained_entry(schema_info(ctx), node);

    r->path = lyd_path(node, LYD_PATH_STD, NULL, 0);
    r->parent_path = lyd_parent(node) ? lyd_path(lyd_parent(node), LYD_PATH_STD, NULL, 0) : NULL;
    if (lysc_is_userordered(node->schema) && node->next && node->next->schema == node->schema) {
        r->anchor_path = lyd_path(node->next, LYD_PATH_STD, NULL, 0);
    }
    if (entry) {
        r->entry_path = lyd_path(entry, LYD_PATH_STD, NULL, 0);
    } else {
        log->nonlocal = 1;
    }
    if (!r->path || (lyd_parent(node) && !r->parent_path) || (entry && !r->entry_path)) {
        log->failed = 1;
    }
}

/* Before node is changed or removed: remember it as it is. */
static void rec_before(struct lyw_log *log, const struct lyd_node *node) {
    struct lyw_rec *r;

    if (!log || !(r = log_push(log))) {
        return;
    }
    rec_paths(log, LYD_CTX(node), r, node);
    if (lyd_dup_single(node, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &r->before)) {
        log->failed = 1;
    }
}

/* After node was created where nothing was. */
static void rec_created(struct lyw_log *log, const struct lyd_node *node) {
    struct lyw_rec *r;

    if (log && (r = log_push(log))) {
        rec_paths(log, LYD_CTX(node), r, node);
    }
}

static void log_free(struct lyw_log *log) {
    size_t i;

    if (!log) {
        return;
    }
    for (i = 0; i < log->n; i++) {
        free(log->recs[i].path);
        free(log->recs[i].parent_path);
        free(log->recs[i].anchor_path);
        free(log->recs[i].entry_path);
        lyd_free_tree(log->recs[i].before);
    }
    free(log->recs);
    free(log);
}

/* Starts recording the changes of t (replacing any earlier recording). Returns 0, or 1 when the context's
 * schema cannot be tracked (the caller works on a copy instead). */
EMSCRIPTEN_KEEPALIVE int lyw_track_begin(struct lyw_tree *t) {
    if (!schema_info(t->ctx)->usable) {
        return 1;
    }
    log_free(t->log);
    t->log = calloc(1, sizeof *t->log);
    return t->log ? 0 : 1;
}

/* Stops recording, keeping the changes. */
EMSCRIPTEN_KEEPALIVE void lyw_track_end(struct lyw_tree *t) {
    log_free(t->log);
    t->log = NULL;
}

/* The paths changed since lyw_track_begin, as a JSON array; "null" when they are unknown. */
EMSCRIPTEN_KEEPALIVE char *lyw_track_paths(struct lyw_tree *t) {
    struct jbuf jb;
    size_t i;

    jb_open(&jb);
    if (!t->log || t->log->failed) {
        fputs("null", jb.f);
        return jb_close(&jb);
    }
    fputc('[', jb.f);
    for (i = 0; i < t->log->n; i++) {
        if (i) {
            fputc(',', jb.f);
        }
        jb_str(&jb, t->log->recs[i].path);
    }
    fputc(']', jb.f);
    return jb_close(&jb);
}

/* Puts t back as it was at lyw_track_begin and stops recording. Returns 0, or -1 if that was impossible
 * (the tree is then in an unknown state and must be rebuilt by the caller). */
EMSCRIPTEN_KEEPALIVE int lyw_track_undo(struct lyw_tree *t) {
    struct lyw_log *log = t->log;
    int rc = 0;
    size_t i;

    if (!log) {
        return 0;
    }
    if (log->failed) {
        lyw_track_end(t);
        return -1;
    }
    for (i = log->n; i-- > 0;) {
        struct lyw_rec *r = &log->recs[i];
        struct lyd_node *now = find_path(t->root, r->path), *parent = NULL, *anchor;

        if (now) {
            free_node(&t->root, now);
        }
        if (!r->before) {
            continue;
        }
        if (r->parent_path && !(parent = find_path(t->root, r->parent_path))) {
            rc = -1;
            continue;
        }
        anchor = r->anchor_path ? find_path(t->root, r->anchor_path) : NULL;
        if (anchor ? lyd_insert_before(anchor, r->before) : insert_node(parent, &t->root, r->before)) {
            rc = -1;
            continue;
        }
        if (!parent) {
            t->root = lyd_first_sibling(r->before);
        }
        r->before = NULL; /* now part of the tree */
    }
    ly_err_clean(t->ctx, NULL);
    lyw_track_end(t);
    return rc;
}

/* Records what validation changed (its diff: created defaults, deleted nodes), after the fact. */
static void rec_validation_diff(struct lyw_tree *t, const struct lyd_node *vdiff) {
    const struct lys_module *yang = ly_ctx_get_module_implemented(t->ctx, "yang");
    const struct lyd_node *top, *node;

    LY_LIST_FOR(vdiff, top) {
        LYD_TREE_DFS_BEGIN(top, node) {
            const char *op = meta_value(node, yang, "operation");
            if (op && (!strcmp(op, "create") || !strcmp(op, "delete"))) {
                struct lyw_rec *r = log_push(t->log);
                if (r) {
                    rec_paths(t->log, t->ctx, r, node);
                    if (!strcmp(op, "delete")
                            && lyd_dup_single(node, NULL, LYD_DUP_RECURSIVE | LYD_DUP_NO_META | LYD_DUP_WITH_FLAGS, &r->before)) {
                        t->log->failed = 1;
                    }
                    if (r->before) {
                        r->before->flags &= ~LYD_NEW;
                    }
                }
                LYD_TREE_DFS_continue = 1;
            }
            LYD_TREE_DFS_END(top, node);
        }
    }
}

static int validate_whole(struct lyw_tree *t, unsigned validate_options) {
    struct lyd_node *vdiff = NULL;
    LY_ERR rc;

    rc = lyd_validate_all(&t->root, t->ctx, validate_options, &vdiff);
    t->root = t->root ? lyd_first_sibling(t->root) : NULL;
    if (vdiff) {
        rec_validation_diff(t, vdiff);
        lyd_free_all(vdiff);
    }
    return rc;
}

static LY_ERR dup_node_pruned(const struct lyw_schema_info *info, const struct ly_set *keep, const struct lyd_node *node,
        struct lyd_node *parent, struct lyd_node **out_first);

/*
 * The children of node, without the entries of self-contained lists that are not in keep, into its copy.
 * Driven by the schema: the entries of a self-contained list are not walked at all (the kept ones come from
 * keep), and every other child is found by a hash lookup. So the copy costs what it keeps, however many
 * entries the lists hold.
 */
static LY_ERR dup_children_pruned(const struct lyw_schema_info *info, const struct ly_set *keep, const struct lyd_node *node,
        struct lyd_node *dup) {
    const struct lyd_node *first = lyd_child(node), *inst, *iter;
    const struct lysc_node *sc = NULL;
    struct lyd_node *match;
    uint32_t k;
    LY_ERR rc;

    /* libyang puts opaque children last, after the nodes with a schema. */
    if (first && (!first->prev->schema || (first->flags & LYD_EXT) || (first->prev->flags & LYD_EXT))) {
        /* Opaque or extension data: walk every child. */
        LY_LIST_FOR(first, iter) {
            if (iter->schema && (lysc_is_key(iter->schema) || (self_contained(info, iter->schema) && !ly_set_contains(keep, iter, NULL)))) {
                continue;
            }
            if ((rc = dup_node_pruned(info, keep, iter, dup, NULL))) {
                return rc;
            }
        }
        return LY_SUCCESS;
    }
    while (first && (sc = lys_getnext(sc, node->schema, NULL, 0))) {
        if (lysc_is_key(sc)) {
            continue;
        }
        if (self_contained(info, sc)) {
            for (k = 0; k < keep->count; k++) {
                if (keep->dnodes[k]->schema == sc && lyd_parent(keep->dnodes[k]) == node
                        && (rc = dup_node_pruned(info, keep, keep->dnodes[k], dup, NULL))) {
                    return rc;
                }
            }
            continue;
        }
        if (lyd_find_sibling_val(first, sc, NULL, 0, &match)) {
            continue;
        }
        /* libyang keeps the instances of one schema node together. */
        for (inst = match; inst && inst->schema == sc; inst = inst->next) {
            if ((rc = dup_node_pruned(info, keep, inst, dup, NULL))) {
                return rc;
            }
        }
    }
    return LY_SUCCESS;
}

/* A copy of node (under parent, or appended to *out_first at top level), pruned as dup_children_pruned. */
static LY_ERR dup_node_pruned(const struct lyw_schema_info *info, const struct ly_set *keep, const struct lyd_node *node,
        struct lyd_node *parent, struct lyd_node **out_first) {
    int whole = ly_set_contains(keep, node, NULL) || !node->schema || !(node->schema->nodetype & LYD_NODE_INNER);
    struct lyd_node *dup = NULL;
    LY_ERR rc;

    if ((rc = lyd_dup_single(node, NULL, LYD_DUP_WITH_FLAGS | (whole ? LYD_DUP_RECURSIVE : 0), &dup))) {
        return rc;
    }
    if (parent) {
        rc = lyd_insert_child(parent, dup);
    } else if (!*out_first) {
        *out_first = dup;
    } else {
        rc = lyd_insert_sibling(*out_first, dup, out_first);
    }
    if (rc) {
        lyd_free_tree(dup);
        return rc;
    }
    return whole ? LY_SUCCESS : dup_children_pruned(info, keep, node, dup);
}

/* A copy of the forest without the entries of self-contained lists that are not in keep. */
static LY_ERR dup_pruned(const struct lyw_schema_info *info, const struct ly_set *keep, const struct lyd_node *first,
        struct lyd_node **out_first) {
    const struct lyd_node *node;
    LY_ERR rc;

    LY_LIST_FOR(first, node) {
        if (self_contained(info, node->schema) && !ly_set_contains(keep, node, NULL)) {
            continue;
        }
        if ((rc = dup_node_pruned(info, keep, node, NULL, out_first))) {
            return rc;
        }
    }
    return LY_SUCCESS;
}

/* The LYD_DEFAULT flags of the ancestors of path's parent in t, as validation set them in v. */
static void sync_default_flags(struct lyw_tree *t, const struct lyd_node *v_root, const char *parent_path) {
    struct lyd_node *a = find_path(t->root, parent_path), *b = find_path(v_root, parent_path);

    for (; a && b; a = lyd_parent(a), b = lyd_parent(b)) {
        a->flags = (a->flags & ~LYD_DEFAULT) | (b->flags & LYD_DEFAULT);
    }
}

#define LOCAL_VALIDATION_MAX_ENTRIES 256

static int validate_local(struct lyw_tree *t, const struct lyw_schema_info *info, unsigned validate_options) {
    struct ly_set *keep = NULL;
    struct lyd_node *v_root = NULL, *entry, *mirror, *child, *next;
    size_t i, n = t->log->n;
    uint32_t k;
    LY_ERR rc;

    if (ly_set_new(&keep)) {
        return validate_whole(t, validate_options);
    }
    for (i = 0; i < n; i++) {
        if ((entry = find_path(t->root, t->log->recs[i].entry_path))) {
            ly_set_add(keep, entry, 0, NULL);
        }
        if (keep->count > LOCAL_VALIDATION_MAX_ENTRIES) {
            ly_set_free(keep, NULL);
            return validate_whole(t, validate_options);
        }
    }
    if (dup_pruned(info, keep, t->root, &v_root)) {
        lyd_free_all(v_root);
        ly_set_free(keep, NULL);
        return validate_whole(t, validate_options);
    }
    rc = lyd_validate_all(&v_root, t->ctx, validate_options, NULL);
    if (rc) {
        lyd_free_all(v_root);
        ly_set_free(keep, NULL);
        return rc;
    }
    /* Validation may have added defaults or removed nodes inside the kept entries: take their validated
     * content over (the keys stay, they identify the entry). */
    for (k = 0; k < keep->count; k++) {
        char *path;
        entry = keep->dnodes[k];
        path = lyd_path(entry, LYD_PATH_STD, NULL, 0);
        mirror = find_path(v_root, path);
        free(path);
        if (!mirror) {
            continue;
        }
        rec_before(t->log, entry);
        LY_LIST_FOR_SAFE(lyd_child(entry), next, child) {
            if (!child->schema || !lysc_is_key(child->schema)) {
                lyd_free_tree(child);
            }
        }
        LY_LIST_FOR_SAFE(lyd_child(mirror), next, child) {
            if (!child->schema || !lysc_is_key(child->schema)) {
                lyd_unlink_tree(child);
                if (lyd_insert_child(entry, child)) {
                    lyd_free_tree(child);
                    t->log->failed = 1;
                }
            }
        }
        entry->flags = (entry->flags & ~(LYD_NEW | LYD_DEFAULT)) | (mirror->flags & LYD_DEFAULT);
    }
    /* Containers that became empty or stopped being empty carry their default flag from validation. */
    for (i = 0; i < n; i++) {
        sync_default_flags(t, v_root, t->log->recs[i].parent_path);
    }
    lyd_free_all(v_root);
    ly_set_free(keep, NULL);
    ly_err_clean(t->ctx, NULL);
    return LY_SUCCESS;
}

/*
 * Validates what the recorded changes can affect: only the changed entries of self-contained lists (with
 * everything outside such lists) when every change lies inside one, else the whole tree. What validation
 * changes is recorded too. Without a recording: the whole tree, as lyw_validate.
 */
EMSCRIPTEN_KEEPALIVE int lyw_track_validate(struct lyw_tree *t, unsigned validate_options) {
    const struct lyw_schema_info *info;

    ly_err_clean(t->ctx, NULL);
    if (!t->log) {
        return lyw_validate(t, validate_options);
    }
    if (t->log->n == 0) {
        return LY_SUCCESS;
    }
    info = schema_info(t->ctx);
    if (t->log->nonlocal || t->log->failed || !info->usable) {
        return validate_whole(t, validate_options);
    }
    return validate_local(t, info, validate_options);
}

/* ---- Path-wise diff and copy between two trees of the same schema ---- */

/* Adds to diff (a tree used as accumulator) the changes that turn from's node at path into to's. */
EMSCRIPTEN_KEEPALIVE int lyw_diff_path(struct lyw_tree *diff, struct lyw_tree *from, struct lyw_tree *to, const char *path) {
    struct lyd_node *a = find_path(from->root, path), *b = find_path(to->root, path), *d = NULL;
    LY_ERR rc;

    ly_err_clean(diff->ctx, NULL);
    if (!a && !b) {
        return 0;
    }
    /* A whole-tree diff treats default nodes as absent: a change below a container that only exists by
     * default (in either tree) is the creation or deletion of that container. Start from there too. */
    for (;;) {
        const struct lyd_node *pa = a ? lyd_parent(a) : NULL, *pb = b ? lyd_parent(b) : NULL;
        if (!pa && !pb) {
            break;
        }
        if (!pa || !pb) {
            char *pp = lyd_path(pa ? pa : pb, LYD_PATH_STD, NULL, 0);
            if (!pa) {
                pa = find_path(from->root, pp);
            } else {
                pb = find_path(to->root, pp);
            }
            free(pp);
        }
        if (!((pa && (pa->flags & LYD_DEFAULT)) || (pb && (pb->flags & LYD_DEFAULT)))) {
            break;
        }
        a = (struct lyd_node *)pa;
        b = (struct lyd_node *)pb;
    }
    /* A default node is absent for the diff too. (Handed one, lyd_diff_tree skips it and goes on to its
     * siblings, as if asked for them all.) */
    if (a && (a->flags & LYD_DEFAULT)) {
        a = NULL;
    }
    if (b && (b->flags & LYD_DEFAULT)) {
        b = NULL;
    }
    if (!a && !b) {
        return 0;
    }
    if ((rc = lyd_diff_tree(a, b, 0, &d))) {
        return rc;
    }
    if (d) {
        rc = lyd_diff_merge_all(&diff->root, d, 0);
        lyd_free_all(d);
        diff->root = diff->root ? lyd_first_sibling(diff->root) : NULL;
    }
    return rc;
}

/*
 * Makes to's node at path a copy of from's (removing it when from has none). Returns 0, 1 when the node is
 * ordered-by user (its position cannot be copied this way: nothing was changed, copy the whole tree), or
 * a libyang error.
 */
EMSCRIPTEN_KEEPALIVE int lyw_copy_path(struct lyw_tree *to, struct lyw_tree *from, const char *path) {
    struct lyd_node *src = find_path(from->root, path), *old = find_path(to->root, path), *dup = NULL, *parent = NULL, *top;
    char *parent_path = NULL;
    LY_ERR rc = LY_SUCCESS;

    ly_err_clean(to->ctx, NULL);
    if ((src && lysc_is_userordered(src->schema)) || (old && lysc_is_userordered(old->schema))) {
        return 1;
    }
    if (!src && !old) {
        return 0;
    }
    if (src && lyd_parent(src)) {
        parent_path = lyd_path(lyd_parent(src), LYD_PATH_STD, NULL, 0);
    } else if (!src && lyd_parent(old)) {
        parent_path = lyd_path(lyd_parent(old), LYD_PATH_STD, NULL, 0);
    }
    if (old) {
        free_node(&to->root, old);
    }
    if (src) {
        parent = parent_path ? find_path(to->root, parent_path) : NULL;
        if (parent || !parent_path) {
            if (!(rc = lyd_dup_single(src, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &dup))
                    && (rc = insert_node(parent, &to->root, dup))) {
                lyd_free_tree(dup);
            }
        } else if (!(rc = lyd_dup_single(src, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS | LYD_DUP_WITH_PARENTS, &dup))) {
            /* The parents are missing in to: bring them along. */
            for (top = dup; lyd_parent(top); top = lyd_parent(top)) {
            }
            rc = lyd_merge_tree(&to->root, top, LYD_MERGE_DESTRUCT | LYD_MERGE_WITH_FLAGS);
        }
    }
    if (!rc && parent_path) {
        sync_default_flags(to, from->root, parent_path);
    }
    to->root = to->root ? lyd_first_sibling(to->root) : NULL;
    free(parent_path);
    return rc;
}

/* ------------------------------------------------------------------------------------------------ */
/* NETCONF <edit-config> (RFC 6241 section 7.2)                                                      */

enum edit_op { OP_MERGE, OP_REPLACE, OP_CREATE, OP_DELETE, OP_REMOVE, OP_NONE };

enum error_option { STOP_ON_ERROR, CONTINUE_ON_ERROR, ROLLBACK_ON_ERROR };

struct edit_state {
    struct ly_ctx *ctx;
    const struct lys_module *netconf; /* owner of the "operation" annotation */
    enum error_option error_option;
    struct jbuf errors;
    int error_count;
    struct lyw_log *log; /* the target's change recording, NULL when not recording */
    int suppress;        /* > 0 inside a subtree already recorded as a whole */
};

static void edit_rec_before(struct edit_state *st, const struct lyd_node *node) {
    if (!st->suppress) {
        rec_before(st->log, node);
    }
}

static void edit_rec_created(struct edit_state *st, const struct lyd_node *node) {
    if (!st->suppress) {
        rec_created(st->log, node);
    }
}

static enum edit_op parse_op(const char *s, enum edit_op dflt) {
    if (!s) {
        return dflt;
    }
    if (!strcmp(s, "merge")) {
        return OP_MERGE;
    }
    if (!strcmp(s, "replace")) {
        return OP_REPLACE;
    }
    if (!strcmp(s, "create")) {
        return OP_CREATE;
    }
    if (!strcmp(s, "delete")) {
        return OP_DELETE;
    }
    if (!strcmp(s, "remove")) {
        return OP_REMOVE;
    }
    return OP_NONE;
}

/* Records an error; returns nonzero when the edit must stop. */
static int edit_error(struct edit_state *st, const char *tag, const struct lyd_node *node, const char *message) {
    char *path = lyd_path(node, LYD_PATH_STD, NULL, 0);

    fputs(st->error_count ? ",{\"tag\":" : "{\"tag\":", st->errors.f);
    jb_str(&st->errors, tag);
    fputs(",\"path\":", st->errors.f);
    jb_str(&st->errors, path);
    fputs(",\"message\":", st->errors.f);
    jb_str(&st->errors, message);
    fputc('}', st->errors.f);
    free(path);
    st->error_count++;
    return st->error_option != CONTINUE_ON_ERROR;
}

/* An error from a failed libyang call, with libyang's own message. */
static int edit_ly_error(struct edit_state *st, const struct lyd_node *node) {
    const struct ly_err_item *e = ly_err_last(st->ctx);
    char msg[512];

    snprintf(msg, sizeof msg, "%s", e && e->msg ? e->msg : "libyang operation failed");
    ly_err_clean(st->ctx, NULL);
    return edit_error(st, "operation-failed", node, msg);
}

static int has_non_key_children(const struct lyd_node *node) {
    const struct lyd_node *child;

    LY_LIST_FOR(lyd_child(node), child) {
        if (!child->schema || !lysc_is_key(child->schema)) {
            return 1;
        }
    }
    return 0;
}

static int edit_siblings(struct edit_state *st, struct lyd_node *tparent, struct lyd_node **tfirst,
        const struct lyd_node *edit, enum edit_op parent_op);

/*
 * Creates a copy of the edit node (without children except list keys, without metadata) in the target and
 * applies the edit's children to it with op. Used by merge/replace/create of a missing node and by none,
 * which creates a parent only if some descendant edit leaves something in it.
 */
static int edit_create(struct edit_state *st, struct lyd_node *tparent, struct lyd_node **tfirst,
        const struct lyd_node *e, enum edit_op op, int tentative) {
    struct lyd_node *dup = NULL;
    int stop;

    if (lyd_dup_single(e, NULL, LYD_DUP_NO_META, &dup)) {
        return edit_ly_error(st, e);
    }
    if (insert_node(tparent, tfirst, dup)) {
        lyd_free_tree(dup);
        return edit_ly_error(st, e);
    }
    if (!(e->schema->nodetype & LYD_NODE_INNER)) {
        edit_rec_created(st, dup);
        return 0;
    }
    st->suppress++;
    stop = edit_siblings(st, dup, NULL, lyd_child(e), op);
    st->suppress--;
    if (tentative && !has_non_key_children(dup)) {
        free_node(tfirst ? tfirst : &dup, dup);
    } else {
        edit_rec_created(st, dup);
    }
    return stop;
}

/* Sets the value (and the explicit flag) of a matching terminal or any node from the edit node. */
static int edit_set_value(struct edit_state *st, struct lyd_node *match, const struct lyd_node *e) {
    LY_ERR rc;

    if ((match->flags & LYD_DEFAULT) || lyd_compare_single(match, e, 0) != LY_SUCCESS) {
        edit_rec_before(st, match);
    }

    if (e->schema->nodetype & LYD_NODE_TERM) {
        if (e->schema->nodetype == LYS_LEAFLIST) {
            /* Matched by value: nothing to change but the default flag. */
            match->flags &= ~LYD_DEFAULT;
            return 0;
        }
        rc = lyd_change_term(match, lyd_get_value(e));
        if (rc && rc != LY_EEXIST && rc != LY_ENOT) {
            return edit_ly_error(st, e);
        }
        match->flags &= ~LYD_DEFAULT;
        return 0;
    }
    if (e->schema->nodetype & LYD_NODE_ANY) {
        const struct lyd_node_any *any = (const struct lyd_node_any *)e;
        if (lyd_any_copy_value(match, &any->value, any->value_type)) {
            return edit_ly_error(st, e);
        }
    }
    return 0;
}

/*
 * The target node an edit node names: a list entry by its keys, a leaf-list entry by its value, any other
 * node by its schema alone. (lyd_find_sibling_first compares leaf values when the siblings are too few to
 * have a hash table, so a leaf being changed would not be found among them.)
 */
static struct lyd_node *find_match(const struct lyd_node *siblings, const struct lyd_node *e) {
    struct lyd_node *match = NULL;

    if (!siblings) {
        return NULL;
    }
    if (e->schema->nodetype & (LYS_LIST | LYS_LEAFLIST)) {
        lyd_find_sibling_first(siblings, e, &match);
    } else {
        lyd_find_sibling_val(siblings, e->schema, NULL, 0, &match);
    }
    ly_err_clean((struct ly_ctx *)LYD_CTX(e), NULL);
    return match;
}

static int edit_node(struct edit_state *st, struct lyd_node *tparent, struct lyd_node **tfirst,
        const struct lyd_node *e, enum edit_op parent_op) {
    enum edit_op op = parse_op(st->netconf ? meta_value(e, st->netconf, "operation") : NULL, parent_op);
    struct lyd_node *siblings = tparent ? lyd_child(tparent) : *tfirst;
    struct lyd_node *match = NULL, *child, *next;
    int is_term = (e->schema->nodetype & LYD_NODE_TERM) != 0;
    int stop;

    match = find_match(siblings, e);
    /* A leaf holding only its default value is not present as far as create and delete are concerned
     * (RFC 6243 section 4.5.2, basic mode explicit). */
    if (match && is_term && (match->flags & LYD_DEFAULT) && (op == OP_CREATE || op == OP_DELETE)) {
        if (op == OP_DELETE) {
            return edit_error(st, "data-missing", e, "Data to delete is missing (only its default exists).");
        }
        edit_rec_before(st, match);
        free_node(tparent ? &siblings : tfirst, match);
        match = NULL;
    }

    switch (op) {
    case OP_CREATE:
        if (match) {
            return edit_error(st, "data-exists", e, "Data to create already exists.");
        }
        return edit_create(st, tparent, tparent ? NULL : tfirst, e, OP_CREATE, 0);
    case OP_DELETE:
        if (!match) {
            return edit_error(st, "data-missing", e, "Data to delete is missing.");
        }
        edit_rec_before(st, match);
        free_node(tparent ? &siblings : tfirst, match);
        return 0;
    case OP_REMOVE:
        if (match) {
            edit_rec_before(st, match);
            free_node(tparent ? &siblings : tfirst, match);
        }
        return 0;
    case OP_MERGE:
        if (!match) {
            return edit_create(st, tparent, tparent ? NULL : tfirst, e, OP_MERGE, 0);
        }
        if (!(e->schema->nodetype & LYD_NODE_INNER)) {
            return edit_set_value(st, match, e);
        }
        return edit_siblings(st, match, NULL, lyd_child(e), OP_MERGE);
    case OP_REPLACE:
        if (!match) {
            return edit_create(st, tparent, tparent ? NULL : tfirst, e, OP_REPLACE, 0);
        }
        if (!(e->schema->nodetype & LYD_NODE_INNER)) {
            return edit_set_value(st, match, e);
        }
        /* Replace in place (keeps the position of a user-ordered entry): drop all but the keys. */
        edit_rec_before(st, match);
        LY_LIST_FOR_SAFE(lyd_child(match), next, child) {
            if (!child->schema || !lysc_is_key(child->schema)) {
                lyd_free_tree(child);
            }
        }
        st->suppress++;
        stop = edit_siblings(st, match, NULL, lyd_child(e), OP_REPLACE);
        st->suppress--;
        return stop;
    case OP_NONE:
        if (!(e->schema->nodetype & LYD_NODE_INNER)) {
            return 0;
        }
        if (match) {
            return edit_siblings(st, match, NULL, lyd_child(e), OP_NONE);
        }
        return edit_create(st, tparent, tparent ? NULL : tfirst, e, OP_NONE, 1);
    }
    return 0;
}

/*
 * An opaque edit node. lyw_parse_edit lets through only leaves given without a value under delete/remove
 * (the value is not needed to find a leaf); anything else opaque is an unknown element, as before.
 */
static int edit_valueless(struct edit_state *st, struct lyd_node *tparent, struct lyd_node **tfirst,
        const struct lyd_node *e, enum edit_op parent_op) {
    const struct lysc_node *schema = valueless_leaf(st->ctx, e);
    enum edit_op op = parse_op(opaq_operation(e), parent_op);
    struct lyd_node *siblings = tparent ? lyd_child(tparent) : *tfirst;
    struct lyd_node *match = NULL;

    if (!schema || (op != OP_DELETE && op != OP_REMOVE)) {
        return edit_error(st, "unknown-element", e, "Unknown element in the edit.");
    }
    if (siblings) {
        lyd_find_sibling_val(siblings, schema, NULL, 0, &match);
        ly_err_clean(st->ctx, NULL);
    }
    /* As in edit_node: a leaf holding only its default value is not there to delete (RFC 6243 4.5.2). */
    if (match && (match->flags & LYD_DEFAULT) && op == OP_DELETE) {
        return edit_error(st, "data-missing", e, "Data to delete is missing (only its default exists).");
    }
    if (!match) {
        return op == OP_DELETE ? edit_error(st, "data-missing", e, "Data to delete is missing.") : 0;
    }
    edit_rec_before(st, match);
    free_node(tparent ? &siblings : tfirst, match);
    return 0;
}

/* Applies the edit siblings to the children of tparent, or to the top-level siblings *tfirst. */
static int edit_siblings(struct edit_state *st, struct lyd_node *tparent, struct lyd_node **tfirst,
        const struct lyd_node *edit, enum edit_op parent_op) {
    const struct lyd_node *e;

    LY_LIST_FOR(edit, e) {
        if (!e->schema) {
            if (edit_valueless(st, tparent, tfirst, e, parent_op)) {
                return 1;
            }
            continue;
        }
        /* Keys identify the list entry, they are not edited on their own. */
        if (lysc_is_key(e->schema)) {
            continue;
        }
        if (edit_node(st, tparent, tfirst, e, parent_op)) {
            return 1;
        }
    }
    return 0;
}

/*
 * Two edit siblings that name the same node: list entries with the same keys, leaf-list entries with the
 * same value, or two instances of any other node (a leaf, a container). Key-less lists have no identity.
 */
static int cmp_edit_items(const void *x, const void *y) {
    const struct sort_item *a = x, *b = y;

    if (a->node->schema != b->node->schema) {
        return (uintptr_t)a->node->schema < (uintptr_t)b->node->schema ? -1 : 1;
    }
    if (a->node->schema->nodetype == LYS_LIST && (a->node->schema->flags & LYS_KEYLESS)) {
        return (uintptr_t)a->node < (uintptr_t)b->node ? -1 : (uintptr_t)a->node > (uintptr_t)b->node;
    }
    return cmp_items(a, b);
}

/*
 * The first node of the edit that duplicates one of its siblings, found by sorting each sibling set
 * (O(n log n)). libyang checks duplicates only when it validates, and an edit is parsed without
 * validation; applied one after the other, duplicates would merge silently or fail half-way.
 * Returns -1 when out of memory.
 */
static int find_duplicate(struct lyd_node *first, struct sort_buf *buf, const struct lyd_node **dup) {
    struct lyd_node *node;
    size_t n = 0;
    long count, i;

    LY_LIST_FOR(first, node) {
        n++;
    }
    if (n > 1) {
        if ((count = sort_items(buf, first, n)) < 0) {
            return -1;
        }
        qsort(buf->items, (size_t)count, sizeof *buf->items, cmp_edit_items);
        for (i = 0; i + 1 < count; i++) {
            if (!cmp_edit_items(&buf->items[i], &buf->items[i + 1])) {
                *dup = buf->items[i + 1].node;
                return 0;
            }
        }
    }
    LY_LIST_FOR(first, node) {
        if (node->schema && (node->schema->nodetype & LYD_NODE_INNER) && lyd_child(node)) {
            if (find_duplicate(lyd_child(node), buf, dup)) {
                return -1;
            }
            if (*dup) {
                return 0;
            }
        }
    }
    return 0;
}

/*
 * default_op: 0 merge, 1 replace, 2 none; error_option: 0 stop, 1 continue, 2 rollback.
 * Returns the edit errors as a JSON array [{tag,path,message}].
 */
EMSCRIPTEN_KEEPALIVE char *lyw_edit(struct lyw_tree *target, struct lyw_tree *edit, int default_op, int error_option) {
    struct edit_state st;
    static const enum edit_op defaults[] = {OP_MERGE, OP_REPLACE, OP_NONE};

    ly_err_clean(target->ctx, NULL);
    st.ctx = target->ctx;
    st.netconf = netconf_module(target->ctx);
    st.error_option = (enum error_option)error_option;
    st.error_count = 0;
    st.log = target->log;
    st.suppress = 0;
    jb_open(&st.errors);
    fputc('[', st.errors.f);
    {
        /* Duplicates are rejected before anything is applied, whatever the error-option. */
        struct sort_buf buf = {NULL, 0, NULL, 0};
        const struct lyd_node *dup = NULL;
        int rc = find_duplicate(edit->root, &buf, &dup);
        char msg[300];

        free(buf.items);
        free(buf.values);
        if (rc || dup) {
            if (dup) {
                snprintf(msg, sizeof msg, "Duplicate instance of \"%s\" in the edit.", dup->schema->name);
            }
            edit_error(&st, rc ? "operation-failed" : "bad-element", dup ? dup : edit->root,
                    rc ? "Out of memory while checking the edit." : msg);
            fputc(']', st.errors.f);
            return jb_close(&st.errors);
        }
    }
    if (default_op == 1) {
        /* default-operation replace: "the new configuration completely replaces the configuration in the
         * target datastore" (RFC 6241 section 7.2), so top-level nodes absent from the edit go too. */
        struct lyd_node *node, *next, *match;
        LY_LIST_FOR_SAFE(target->root, next, node) {
            match = node->schema ? find_match(edit->root, node) : NULL;
            if (!match) {
                rec_before(st.log, node);
                free_node(&target->root, node);
            }
        }
        ly_err_clean(target->ctx, NULL);
    }
    edit_siblings(&st, NULL, &target->root, edit->root, defaults[default_op < 0 || default_op > 2 ? 0 : default_op]);
    fputc(']', st.errors.f);
    target->root = target->root ? lyd_first_sibling(target->root) : NULL;
    return jb_close(&st.errors);
}
