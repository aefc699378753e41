// The per-version offset table (userspace/target/php_offsets.cpp) against
// offsetof() computed from real PHP headers by tools/php_offsets/compute_offsets.sh.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <string>

#include "target/php_graph_offsets.h"
#include "target/php_offsets.h"

#ifndef PMT_SOURCE_DIR
#error "PMT_SOURCE_DIR must be defined (tests/CMakeLists.txt)"
#endif

namespace {

struct RunResult {
    int status = -1;  // exit code, or -1 when the command did not exit normally
    std::string out;
};

// Runs a shell command and returns its exit code and stdout (stderr passes through).
RunResult run(const std::string& cmd) {
    RunResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int st = pclose(p);
    r.status = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
    return r;
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// "name value" lines -> map.
std::map<std::string, std::string> parse(const std::string& text) {
    std::map<std::string, std::string> kv;
    std::istringstream in(text);
    std::string name, value;
    while (in >> name >> value) kv[name] = value;
    return kv;
}

}  // namespace

TEST(PhpOffsets, Php82RowMatchesOffsetofFromInstalledHeaders) {
    RunResult which = run("command -v php-config8.2 2>/dev/null");
    if (which.status != 0 || trim(which.out).empty())
        GTEST_SKIP() << "php-config8.2 not found (install php8.2-dev to compare the 8.2 row "
                        "with offsetof() from its headers)";
    RunResult inc = run("php-config8.2 --include-dir");
    ASSERT_EQ(inc.status, 0) << "php-config8.2 --include-dir failed";
    const std::string include_dir = trim(inc.out);
    ASSERT_FALSE(include_dir.empty());

    const std::string script = std::string(PMT_SOURCE_DIR) + "/tools/php_offsets/compute_offsets.sh";
    RunResult res = run("bash '" + script + "' '" + include_dir + "'");
    ASSERT_EQ(res.status, 0) << script << " failed on " << include_dir << ":\n" << res.out;
    auto kv = parse(res.out);

    ASSERT_TRUE(kv.count("php_version")) << res.out;
    auto version = pmt::PhpVersion::parse(kv["php_version"]);
    ASSERT_TRUE(version) << kv["php_version"];
    ASSERT_EQ(version->major, 8);
    ASSERT_EQ(version->minor, 2);
    EXPECT_EQ(kv["zend_debug"], "0") << "the table is for release (non-debug) builds";
    EXPECT_EQ(kv["sizeof_pointer"], "8") << "the table is for x86_64";

    auto off = pmt::php_offsets_for(*version);
    ASSERT_TRUE(off) << "8.2 missing from the table";

    auto expect_field = [&](const char* name, uint32_t table_value) {
        ASSERT_TRUE(kv.count(name)) << name << " not printed by " << script;
        EXPECT_EQ(std::to_string(table_value), kv[name]) << name << " (table vs offsetof)";
    };
    // Per-version rows.
    expect_field("eg_current_execute_data", off->eg_current_execute_data);
    expect_field("eg_flags", off->eg_flags);
    expect_field("cg_in_compilation", off->cg_in_compilation);
    expect_field("op_last", off->op_last);
    expect_field("op_opcodes", off->op_opcodes);
    expect_field("op_filename", off->op_filename);
    expect_field("op_line_start", off->op_line_start);
    // Values the table assumes constant across versions.
    expect_field("ex_opline", off->ex_opline);
    expect_field("ex_func", off->ex_func);
    expect_field("ex_prev_execute_data", off->ex_prev_execute_data);
    expect_field("ex_this", off->ex_this);
    expect_field("func_type", off->func_type);
    expect_field("func_name", off->func_name);
    expect_field("func_scope", off->func_scope);
    expect_field("opline_lineno", off->opline_lineno);
    expect_field("opline_size", off->opline_size);
    expect_field("ce_name", off->ce_name);
    expect_field("zstr_val", off->zstr_val);
    expect_field("obj_ce", off->obj_ce);
    expect_field("generator_execute_data", off->generator_execute_data);
    expect_field("generator_node_parent", off->generator_node_parent);
    // op_array fields are read through the zend_function pointer.
    EXPECT_EQ(kv["func_op_array"], "0");

    // The snapshot's reachability walk.
    auto graph = pmt::php_graph_offsets_for(*version);
    ASSERT_TRUE(graph) << "8.2 missing from the graph offsets";
#define GRAPH_FIELD(name) expect_field(#name, graph->name)
    GRAPH_FIELD(eg_current_execute_data);
    GRAPH_FIELD(eg_symbol_table);
    GRAPH_FIELD(eg_function_table);
    GRAPH_FIELD(eg_class_table);
    GRAPH_FIELD(eg_objects_store);
    GRAPH_FIELD(eg_size);
    GRAPH_FIELD(store_buckets);
    GRAPH_FIELD(store_top);
    GRAPH_FIELD(cg_map_ptr_base);
    GRAPH_FIELD(zval_type_info);
    GRAPH_FIELD(zval_size);
    GRAPH_FIELD(gc_type_info);
    GRAPH_FIELD(str_len);
    expect_field("zstr_val", graph->str_val);
    GRAPH_FIELD(ht_flags);
    GRAPH_FIELD(ht_data);
    GRAPH_FIELD(ht_used);
    GRAPH_FIELD(ht_bytes);
    GRAPH_FIELD(ht_packed_flag);
    GRAPH_FIELD(bucket_h);
    GRAPH_FIELD(bucket_key);
    GRAPH_FIELD(bucket_size);
    GRAPH_FIELD(obj_ce);
    GRAPH_FIELD(obj_properties);
    GRAPH_FIELD(obj_properties_table);
    GRAPH_FIELD(obj_size);
    GRAPH_FIELD(ref_val);
    GRAPH_FIELD(ce_type);
    GRAPH_FIELD(ce_name);
    GRAPH_FIELD(ce_default_properties_count);
    GRAPH_FIELD(ce_default_static_members_count);
    GRAPH_FIELD(ce_static_members_table);
    GRAPH_FIELD(ce_function_table);
    GRAPH_FIELD(ce_properties_info);
    GRAPH_FIELD(pi_offset);
    GRAPH_FIELD(pi_flags);
    GRAPH_FIELD(pi_name);
    GRAPH_FIELD(acc_static);
    expect_field("ex_func", graph->ex_func);
    expect_field("ex_this", graph->ex_this);
    expect_field("ex_prev_execute_data", graph->ex_prev);
    GRAPH_FIELD(ex_call_frame_bytes);
    GRAPH_FIELD(op_function_name);
    GRAPH_FIELD(op_scope);
    GRAPH_FIELD(op_last_var);
    GRAPH_FIELD(op_vars);
    GRAPH_FIELD(op_static_variables);
    GRAPH_FIELD(op_static_variables_ptr);
#undef GRAPH_FIELD
}

TEST(PhpOffsets, EveryListedVersionHasACompleteRow) {
    for (const char* text : {"7.4.33", "8.0.30", "8.1.31", "8.2.35", "8.3.15", "8.4.27", "8.5.7"}) {
        SCOPED_TRACE(text);
        auto version = pmt::PhpVersion::parse(text);
        ASSERT_TRUE(version);
        auto off = pmt::php_offsets_for(*version);
        ASSERT_TRUE(off);
        EXPECT_NE(off->eg_current_execute_data, 0u);
        EXPECT_NE(off->eg_flags, 0u);
        EXPECT_NE(off->cg_in_compilation, 0u);
        // uint32_t last; then the (8-aligned) zend_op *opcodes; line_start right after
        // the zend_string *filename.
        EXPECT_GE(off->op_opcodes, off->op_last + 4);
        EXPECT_EQ(off->op_opcodes % 8, 0u);
        EXPECT_EQ(off->op_line_start, off->op_filename + 8);
    }
    EXPECT_FALSE(pmt::php_offsets_for(*pmt::PhpVersion::parse("7.3.33")));
}
