#include "untrusted_json.h"

#include "error.h"

#include <vector>

namespace cm {

namespace {

using nlohmann::json;

// Builds the document from SAX events (nlohmann's own DOM builder lets a repeated key overwrite the first
// and has no depth limit; its recursive dump() and copy then overflow the stack on deep input).
class BoundedDomBuilder : public nlohmann::json_sax<json> {
  public:
    BoundedDomBuilder(const std::string& where, const JsonLimits& limits)
        : m_where(where), m_limits(limits) {}

    json take() { return std::move(m_root); }

    bool null() override { return add(json(nullptr)); }
    bool boolean(bool value) override { return add(json(value)); }
    bool number_integer(number_integer_t value) override { return add(json(value)); }
    bool number_unsigned(number_unsigned_t value) override { return add(json(value)); }
    bool number_float(number_float_t value, const string_t&) override { return add(json(value)); }
    bool string(string_t& value) override { return add(json(std::move(value))); }
    bool binary(binary_t&) override { fail("binary values are not JSON"); }

    bool start_object(std::size_t) override { return open(json::object()); }
    bool key(string_t& name) override {
        count();
        if (m_open.back()->contains(name))
            fail("the key \"" + describeUntrusted(name) + "\" occurs twice in one object");
        m_key = std::move(name);
        return true;
    }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(json::array()); }
    bool end_array() override { return close(); }

    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
        // nlohmann's message starts with its exception's id ("[json.exception.parse_error.101] ") and may
        // quote the offending token, which can be megabytes long.
        std::string what = e.what();
        const std::size_t id = what.find("] ");
        if (what.rfind("[json.exception.", 0) == 0 && id != std::string::npos) what.erase(0, id + 2);
        fail("not valid JSON: " + describeUntrusted(what, 200));
    }

  private:
    [[noreturn]] void fail(const std::string& message) const {
        throw Error(ErrorKind::Format, m_where + ": " + message);
    }

    void count() {
        if (++m_values > m_limits.maxValues)
            fail("more than " + std::to_string(m_limits.maxValues) + " JSON values (limit)");
    }

    // Places `value` in the open container (or as the root) and returns where it now lives.
    json* place(json&& value) {
        count();
        if (m_open.empty()) {
            m_root = std::move(value);
            return &m_root;
        }
        json& parent = *m_open.back();
        if (parent.is_array()) {
            parent.push_back(std::move(value));
            return &parent.back();
        }
        json& slot = parent[m_key];
        slot = std::move(value);
        return &slot;
    }

    bool add(json&& value) {
        place(std::move(value));
        return true;
    }

    bool open(json&& container) {
        if (int(m_open.size()) >= m_limits.maxDepth)
            fail("JSON nested deeper than " + std::to_string(m_limits.maxDepth) + " levels (limit)");
        // Safe to keep: nothing is added to the parent while this child is open.
        m_open.push_back(place(std::move(container)));
        return true;
    }

    bool close() {
        m_open.pop_back();
        return true;
    }

    const std::string& m_where;
    const JsonLimits& m_limits;
    json m_root;
    std::vector<json*> m_open;
    std::string m_key;
    std::size_t m_values = 0;
};

} // namespace

json parseUntrustedJson(std::string_view text, const std::string& where, const JsonLimits& limits) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
        throw Error(ErrorKind::Format, where + ": the JSON text starts with a byte-order mark");
    BoundedDomBuilder builder(where, limits);
    json::sax_parse(text.begin(), text.end(), &builder);
    return builder.take();
}

std::string describeJsonValue(const json& value) {
    switch (value.type()) {
    case json::value_t::string: {
        const std::string& text = value.get_ref<const std::string&>();
        return "\"" + describeUntrusted(text, 40) + "\"";
    }
    case json::value_t::array:
        return "an array of " + std::to_string(value.size()) + " values";
    case json::value_t::object:
        return "an object with " + std::to_string(value.size()) + " keys";
    case json::value_t::binary:
    case json::value_t::discarded:
        return std::string("a JSON ") + value.type_name();
    default:
        return value.dump(); // a number, boolean or null: a few characters
    }
}

} // namespace cm
