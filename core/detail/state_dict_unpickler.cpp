#include "state_dict_unpickler.h"

#include "untrusted_text.h"

#include "core/error.h"

#include <cstring>
#include <deque>

namespace cm::detail {

namespace {

// Limits far above what real state dicts need (a few thousand tensors of ~20 pickle objects each, names
// of ~100 bytes) and low enough that a hostile pickle can exhaust neither memory nor time.
constexpr std::size_t kMaxObjects = 2'000'000;
constexpr std::size_t kMaxStackItems = 1'000'000;
constexpr std::size_t kMaxContainerItems = 4'000'000; // memo references (BINGET) add items, not objects
constexpr uint64_t kMaxMemoIndex = kMaxObjects;
constexpr int kMaxNesting = 1000;
constexpr std::size_t kMaxTensors = 100'000;
constexpr std::size_t kMaxNameBytes = 4096;
constexpr std::size_t kMaxTotalNameBytes = 16u << 20;
constexpr std::size_t kMaxFlattenWork = std::size_t(1) << 26; // entries visited + name bytes built
constexpr std::size_t kMaxGlobalNameBytes = 256;
constexpr std::size_t kMaxStorageKeyBytes = 256; // torch writes decimal numbers
constexpr std::size_t kMaxDims = 16;

// The opcodes this interpreter runs (pickletools' names); all others are refused.
enum Opcode : uint8_t {
    MARK = '(',
    STOP = '.',
    BININT = 'J',
    BININT1 = 'K',
    BININT2 = 'M',
    NONE = 'N',
    BINPERSID = 'Q',
    REDUCE = 'R',
    BINUNICODE = 'X',
    APPEND = 'a',
    BUILD = 'b',
    GLOBAL = 'c',
    EMPTY_DICT = '}',
    APPENDS = 'e',
    BINGET = 'h',
    LONG_BINGET = 'j',
    EMPTY_LIST = ']',
    BINPUT = 'q',
    LONG_BINPUT = 'r',
    SETITEM = 's',
    TUPLE = 't',
    EMPTY_TUPLE = ')',
    SETITEMS = 'u',
    BINFLOAT = 'G',
    PROTO = 0x80,
    TUPLE1 = 0x85,
    TUPLE2 = 0x86,
    TUPLE3 = 0x87,
    NEWTRUE = 0x88,
    NEWFALSE = 0x89,
    LONG1 = 0x8a,
    SHORT_BINUNICODE = 0x8c,
    BINUNICODE8 = 0x8d,
    STACK_GLOBAL = 0x93,
    MEMOIZE = 0x94,
    FRAME = 0x95,
};

// Every opcode of protocols 0 to 5, so that a refusal can name it.
struct OpcodeName {
    uint8_t code;
    const char* name;
};
constexpr OpcodeName kOpcodeNames[] = {
    {'(', "MARK"},
    {'.', "STOP"},
    {'0', "POP"},
    {'1', "POP_MARK"},
    {'2', "DUP"},
    {'F', "FLOAT"},
    {'I', "INT"},
    {'J', "BININT"},
    {'K', "BININT1"},
    {'L', "LONG"},
    {'M', "BININT2"},
    {'N', "NONE"},
    {'P', "PERSID"},
    {'Q', "BINPERSID"},
    {'R', "REDUCE"},
    {'S', "STRING"},
    {'T', "BINSTRING"},
    {'U', "SHORT_BINSTRING"},
    {'V', "UNICODE"},
    {'X', "BINUNICODE"},
    {'a', "APPEND"},
    {'b', "BUILD"},
    {'c', "GLOBAL"},
    {'d', "DICT"},
    {'}', "EMPTY_DICT"},
    {'e', "APPENDS"},
    {'g', "GET"},
    {'h', "BINGET"},
    {'i', "INST"},
    {'j', "LONG_BINGET"},
    {'l', "LIST"},
    {']', "EMPTY_LIST"},
    {'o', "OBJ"},
    {'p', "PUT"},
    {'q', "BINPUT"},
    {'r', "LONG_BINPUT"},
    {'s', "SETITEM"},
    {'t', "TUPLE"},
    {')', "EMPTY_TUPLE"},
    {'u', "SETITEMS"},
    {'G', "BINFLOAT"},
    {0x80, "PROTO"},
    {0x81, "NEWOBJ"},
    {0x82, "EXT1"},
    {0x83, "EXT2"},
    {0x84, "EXT4"},
    {0x85, "TUPLE1"},
    {0x86, "TUPLE2"},
    {0x87, "TUPLE3"},
    {0x88, "NEWTRUE"},
    {0x89, "NEWFALSE"},
    {0x8a, "LONG1"},
    {0x8b, "LONG4"},
    {'B', "BINBYTES"},
    {'C', "SHORT_BINBYTES"},
    {0x8c, "SHORT_BINUNICODE"},
    {0x8d, "BINUNICODE8"},
    {0x8e, "BINBYTES8"},
    {0x8f, "EMPTY_SET"},
    {0x90, "ADDITEMS"},
    {0x91, "FROZENSET"},
    {0x92, "NEWOBJ_EX"},
    {0x93, "STACK_GLOBAL"},
    {0x94, "MEMOIZE"},
    {0x95, "FRAME"},
    {0x96, "BYTEARRAY8"},
    {0x97, "NEXT_BUFFER"},
    {0x98, "READONLY_BUFFER"},
};

std::string hexByte(uint8_t byte) {
    static const char kHex[] = "0123456789abcdef";
    return std::string("0x") + kHex[byte >> 4] + kHex[byte & 15];
}

const char* knownOpcodeName(uint8_t code) {
    for (const OpcodeName& entry : kOpcodeNames)
        if (entry.code == code) return entry.name;
    return nullptr;
}

std::string opcodeName(uint8_t code) {
    const char* name = knownOpcodeName(code);
    return name ? std::string(name) : hexByte(code);
}

// The storage classes a state dict names; those DType cannot represent are known, so that the error
// can say so instead of calling them forbidden.
struct StorageType {
    const char* name;
    std::optional<DType> dtype;
};
const StorageType kStorageTypes[] = {
    {"FloatStorage", DType::F32},  {"HalfStorage", DType::F16}, {"BFloat16Storage", DType::BF16},
    {"DoubleStorage", DType::F64}, {"LongStorage", DType::I64}, {"IntStorage", DType::I32},
    {"ByteStorage", DType::U8},    {"ShortStorage", {}},        {"CharStorage", {}},
    {"BoolStorage", {}},
};

enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Callable, Storage, Tensor };

const char* kindName(Kind kind) {
    switch (kind) {
    case Kind::None:
        return "None";
    case Kind::Bool:
        return "bool";
    case Kind::Int:
        return "int";
    case Kind::Float:
        return "float";
    case Kind::String:
        return "string";
    case Kind::Tuple:
        return "tuple";
    case Kind::List:
        return "list";
    case Kind::Dict:
        return "dict";
    case Kind::Callable:
        return "global";
    case Kind::Storage:
        return "storage";
    case Kind::Tensor:
        return "tensor";
    }
    return "?";
}

// The callables the allow-list admits. Nothing is ever called: REDUCE records what the call would build.
enum class Callable { OrderedDict, RebuildTensorV2, RebuildParameter, StorageType };

// One pickle object. All live in the interpreter's arena and refer to each other by pointer, so memo
// references, shared and even cyclic structures cost nothing and nothing is destroyed recursively.
struct Value {
    Kind kind = Kind::None;
    int64_t integer = 0;       // Int, Bool; Storage: element count; Tensor: storage offset
    double real = 0;           // Float
    std::string text;          // String; Storage: key
    std::vector<Value*> items; // Tuple, List; Dict: key, value, key, value...; Tensor: storage, size, stride
    Callable callable = Callable::OrderedDict;
    std::size_t storageType = 0; // Callable::StorageType and Storage: index into kStorageTypes
    bool beingFlattened = false; // on the path from the root while flattening: detects cycles
};

class Unpickler {
  public:
    Unpickler(const std::vector<uint8_t>& pickle, const std::string& context)
        : m_data(pickle.data()), m_size(pickle.size()), m_context(context) {
        m_none = newValue(Kind::None);
        m_true = newValue(Kind::Bool);
        m_true->integer = 1;
        m_false = newValue(Kind::Bool);
    }

    std::vector<PickledTensor> run() {
        Value* root = interpret();
        if (root->kind == Kind::Tensor)
            failStructure("the pickle holds a single tensor, not a dict of tensors (save a state_dict)");
        if (root->kind != Kind::Dict)
            failStructure(std::string("the pickle holds a ") + kindName(root->kind) +
                          ", not a dict of tensors (a state_dict)");
        std::vector<PickledTensor> tensors;
        flatten(root, "", 0, tensors);
        return tensors;
    }

  private:
    [[noreturn]] void fail(const std::string& message) const {
        throw Error(ErrorKind::Format,
                    m_context + " at byte " + std::to_string(m_opcodeOffset) + ": " + message);
    }

    [[noreturn]] void failStructure(const std::string& message) const {
        throw Error(ErrorKind::Format, m_context + ": " + message);
    }

    Value* newValue(Kind kind) {
        if (m_values.size() >= kMaxObjects)
            fail("the pickle creates more than " + std::to_string(kMaxObjects) + " objects");
        m_values.emplace_back();
        m_values.back().kind = kind;
        return &m_values.back();
    }

    // --- reading operands ---

    const uint8_t* take(std::size_t count) {
        if (count > m_size - m_pos) fail("the pickle ends inside " + opcodeName(m_opcode) + " (truncated)");
        const uint8_t* bytes = m_data + m_pos;
        m_pos += count;
        return bytes;
    }

    uint64_t readLittleEndian(std::size_t count) {
        const uint8_t* bytes = take(count);
        uint64_t value = 0;
        for (std::size_t i = count; i-- > 0;)
            value = value << 8 | bytes[i];
        return value;
    }

    std::string readString(uint64_t length) {
        if (length > m_size - m_pos)
            fail("a string of " + std::to_string(length) + " bytes runs past the end of the pickle (" +
                 std::to_string(m_size - m_pos) + " bytes left)");
        const uint8_t* bytes = take(std::size_t(length));
        return std::string(reinterpret_cast<const char*>(bytes), std::size_t(length));
    }

    std::string readLine() {
        const std::size_t limit = std::min(m_size - m_pos, kMaxGlobalNameBytes + 1);
        const void* newline = std::memchr(m_data + m_pos, '\n', limit);
        if (!newline)
            fail("GLOBAL names a module or attribute without a newline within " +
                 std::to_string(kMaxGlobalNameBytes) + " bytes");
        const std::size_t length = std::size_t(static_cast<const uint8_t*>(newline) - (m_data + m_pos));
        std::string line = readString(length);
        m_pos += 1;
        return line;
    }

    // --- the stack; a MARK starts a new frame, as in CPython's unpickler ---

    std::size_t frameBase() const { return m_marks.empty() ? 0 : m_marks.back(); }

    void requireItems(std::size_t count) const {
        if (m_stack.size() - frameBase() < count)
            fail("stack underflow: " + opcodeName(m_opcode) + " needs " + std::to_string(count) + " item" +
                 (count == 1 ? "" : "s") + " but the stack" +
                 (m_marks.empty() ? "" : " above the last MARK") + " holds " +
                 std::to_string(m_stack.size() - frameBase()));
    }

    void push(Value* value) {
        if (m_stack.size() >= kMaxStackItems)
            fail("the pickle stack grows beyond " + std::to_string(kMaxStackItems) + " items");
        m_stack.push_back(value);
    }

    Value* pop() {
        requireItems(1);
        Value* value = m_stack.back();
        m_stack.pop_back();
        return value;
    }

    Value* top() const {
        requireItems(1);
        return m_stack.back();
    }

    std::vector<Value*> popItems(std::size_t count) {
        requireItems(count);
        std::vector<Value*> items(m_stack.end() - long(count), m_stack.end());
        m_stack.resize(m_stack.size() - count);
        return items;
    }

    std::vector<Value*> popToMark() {
        if (m_marks.empty()) fail(opcodeName(m_opcode) + " without a preceding MARK");
        const std::size_t base = m_marks.back();
        m_marks.pop_back();
        std::vector<Value*> items(m_stack.begin() + long(base), m_stack.end());
        m_stack.resize(base);
        return items;
    }

    Value* expectContainer(Kind kind) const {
        Value* container = top();
        if (container->kind != kind)
            fail(opcodeName(m_opcode) + " adds to a " + kindName(container->kind) + ", not a " +
                 kindName(kind));
        return container;
    }

    // --- the memo ---

    void checkMemoIndex(uint64_t index) const {
        if (index >= kMaxMemoIndex)
            fail("memo index " + std::to_string(index) + " is out of range (limit " +
                 std::to_string(kMaxMemoIndex) + ")");
    }

    void memoize(uint64_t index) {
        checkMemoIndex(index);
        Value* value = top();
        if (index >= m_memo.size()) m_memo.resize(std::size_t(index) + 1, nullptr);
        if (!m_memo[std::size_t(index)]) ++m_memoCount;
        m_memo[std::size_t(index)] = value;
    }

    Value* recall(uint64_t index) const {
        checkMemoIndex(index);
        if (index >= m_memo.size() || !m_memo[std::size_t(index)])
            fail("memo entry " + std::to_string(index) + " is read before it is set");
        return m_memo[std::size_t(index)];
    }

    // --- values ---

    void pushInt(int64_t number) {
        Value* value = newValue(Kind::Int);
        value->integer = number;
        push(value);
    }

    void pushString(std::string text) {
        Value* value = newValue(Kind::String);
        value->text = std::move(text);
        push(value);
    }

    void countItems(std::size_t count) {
        m_containerItems += count;
        if (m_containerItems > kMaxContainerItems)
            fail("the pickle's tuples, lists and dicts hold more than " + std::to_string(kMaxContainerItems) +
                 " items");
    }

    void pushTuple(std::vector<Value*> items) {
        countItems(items.size());
        Value* tuple = newValue(Kind::Tuple);
        tuple->items = std::move(items);
        push(tuple);
    }

    void pushGlobal(const std::string& module, const std::string& name) {
        Value* global = newValue(Kind::Callable);
        if (module == "collections" && name == "OrderedDict") {
            global->callable = Callable::OrderedDict;
        } else if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
            global->callable = Callable::RebuildTensorV2;
        } else if (module == "torch._utils" && name == "_rebuild_parameter") {
            global->callable = Callable::RebuildParameter;
        } else {
            bool found = false;
            for (std::size_t i = 0; module == "torch" && i < std::size(kStorageTypes) && !found; ++i)
                if (name == kStorageTypes[i].name) {
                    global->callable = Callable::StorageType;
                    global->storageType = i;
                    found = true;
                }
            if (!found)
                fail("forbidden global " + describeUntrusted(module + "." + name) +
                     " (a state dict needs only tensor storages and OrderedDict; other globals could run "
                     "code)");
        }
        push(global);
    }

    static bool isIntTuple(const Value* value) {
        if (value->kind != Kind::Tuple) return false;
        for (const Value* item : value->items)
            if (item->kind != Kind::Int) return false;
        return true;
    }

    // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
    // backward_hooks[, metadata]).
    Value* rebuildTensor(const std::vector<Value*>& args) {
        if (args.size() != 6 && args.size() != 7)
            fail("torch._utils._rebuild_tensor_v2 takes 6 or 7 arguments, found " +
                 std::to_string(args.size()));
        const auto expect = [&](std::size_t index, bool ok, const char* what) {
            if (!ok)
                fail("torch._utils._rebuild_tensor_v2 argument " + std::to_string(index + 1) + " must be " +
                     what + ", found a " + kindName(args[index]->kind));
        };
        expect(0, args[0]->kind == Kind::Storage, "a storage (persistent id)");
        expect(1, args[1]->kind == Kind::Int, "an int (storage offset)");
        expect(2, isIntTuple(args[2]), "a tuple of ints (size)");
        expect(3, isIntTuple(args[3]), "a tuple of ints (stride)");
        expect(4, args[4]->kind == Kind::Bool, "a bool (requires_grad)");
        expect(5, args[5]->kind == Kind::Dict, "a dict (backward hooks)");
        if (args.size() == 7)
            expect(6, args[6]->kind == Kind::Dict || args[6]->kind == Kind::None, "a dict or None");
        if (args[2]->items.size() > kMaxDims)
            fail("a tensor has " + std::to_string(args[2]->items.size()) + " dimensions (at most " +
                 std::to_string(kMaxDims) + " are supported)");
        if (args[3]->items.size() != args[2]->items.size())
            fail("a tensor has " + std::to_string(args[2]->items.size()) + " sizes but " +
                 std::to_string(args[3]->items.size()) + " strides");
        Value* tensor = newValue(Kind::Tensor);
        tensor->items = {args[0], args[2], args[3]};
        tensor->integer = args[1]->integer;
        return tensor;
    }

    void reduce() {
        Value* args = pop();
        Value* callable = pop();
        if (callable->kind != Kind::Callable)
            fail(std::string("REDUCE calls a ") + kindName(callable->kind) +
                 ", which is not an allowed callable");
        if (args->kind != Kind::Tuple)
            fail(std::string("REDUCE arguments must be a tuple, found a ") + kindName(args->kind));
        switch (callable->callable) {
        case Callable::OrderedDict:
            if (!args->items.empty()) fail("collections.OrderedDict is called with arguments");
            push(newValue(Kind::Dict));
            return;
        case Callable::RebuildTensorV2:
            push(rebuildTensor(args->items));
            return;
        case Callable::RebuildParameter:
            // _rebuild_parameter(data, requires_grad, backward_hooks): a Parameter is its tensor here.
            if (args->items.size() != 3 || args->items[0]->kind != Kind::Tensor)
                fail("torch._utils._rebuild_parameter takes (tensor, requires_grad, backward_hooks)");
            push(args->items[0]);
            return;
        case Callable::StorageType:
            fail(std::string("REDUCE calls torch.") + kStorageTypes[callable->storageType].name +
                 "; storages may only come from persistent ids");
        }
    }

    // The persistent id of a storage: ('storage', torch.<Type>Storage, key, location, numel).
    void persistentLoad() {
        const Value* id = pop();
        const std::vector<Value*>& f = id->items;
        if (id->kind != Kind::Tuple || f.size() != 5 || f[0]->kind != Kind::String ||
            f[0]->text != "storage" || f[1]->kind != Kind::Callable ||
            f[1]->callable != Callable::StorageType || f[2]->kind != Kind::String ||
            f[3]->kind != Kind::String || f[4]->kind != Kind::Int)
            fail(
                std::string("a persistent id must be ('storage', torch.<Type>Storage, key, location, numel), "
                            "found a ") +
                kindName(id->kind) +
                (id->kind == Kind::Tuple ? " of " + std::to_string(f.size()) + " items" : ""));
        if (f[2]->text.size() > kMaxStorageKeyBytes)
            fail("a storage key of " + std::to_string(f[2]->text.size()) + " bytes is implausibly long");
        Value* storage = newValue(Kind::Storage);
        storage->storageType = f[1]->storageType;
        storage->text = f[2]->text;
        storage->integer = f[4]->integer;
        push(storage);
    }

    void build() {
        const Value* state = pop();
        const Value* target = top();
        // OrderedDict's attributes (the state dict's _metadata: module versions) are not needed.
        if (target->kind != Kind::Dict || state->kind != Kind::Dict)
            fail(std::string("BUILD sets the state of a ") + kindName(target->kind) + " from a " +
                 kindName(state->kind) + "; only a dict's attributes (OrderedDict._metadata) are allowed");
    }

    void step(uint8_t opcode) {
        switch (opcode) {
        case PROTO: {
            const uint8_t version = *take(1);
            if (version < 2 || version > 5)
                fail("pickle protocol " + std::to_string(version) + " is not supported (2 to 5)");
            return;
        }
        case FRAME: {
            const uint64_t length = readLittleEndian(8); // framing only groups reads: nothing to do
            if (length > m_size - m_pos)
                fail("a frame of " + std::to_string(length) + " bytes runs past the end of the pickle");
            return;
        }
        case MARK:
            if (m_marks.size() >= kMaxStackItems)
                fail("more than " + std::to_string(kMaxStackItems) + " nested MARKs");
            m_marks.push_back(m_stack.size());
            return;
        case EMPTY_DICT:
            push(newValue(Kind::Dict));
            return;
        case EMPTY_LIST:
            push(newValue(Kind::List));
            return;
        case EMPTY_TUPLE:
            pushTuple({});
            return;
        case TUPLE:
            pushTuple(popToMark());
            return;
        case TUPLE1:
        case TUPLE2:
        case TUPLE3:
            pushTuple(popItems(std::size_t(opcode - TUPLE1 + 1)));
            return;
        case APPEND: {
            Value* item = pop();
            countItems(1);
            expectContainer(Kind::List)->items.push_back(item);
            return;
        }
        case APPENDS: {
            const std::vector<Value*> items = popToMark();
            countItems(items.size());
            std::vector<Value*>& list = expectContainer(Kind::List)->items;
            list.insert(list.end(), items.begin(), items.end());
            return;
        }
        case SETITEM: {
            const std::vector<Value*> pair = popItems(2);
            countItems(2);
            std::vector<Value*>& dict = expectContainer(Kind::Dict)->items;
            dict.insert(dict.end(), pair.begin(), pair.end());
            return;
        }
        case SETITEMS: {
            const std::vector<Value*> items = popToMark();
            if (items.size() % 2 != 0)
                fail("SETITEMS with an odd number of items (" + std::to_string(items.size()) + ")");
            countItems(items.size());
            std::vector<Value*>& dict = expectContainer(Kind::Dict)->items;
            dict.insert(dict.end(), items.begin(), items.end());
            return;
        }
        case BINUNICODE:
            pushString(readString(readLittleEndian(4)));
            return;
        case SHORT_BINUNICODE:
            pushString(readString(readLittleEndian(1)));
            return;
        case BINUNICODE8:
            pushString(readString(readLittleEndian(8)));
            return;
        case BININT:
            pushInt(int32_t(uint32_t(readLittleEndian(4))));
            return;
        case BININT1:
            pushInt(int64_t(readLittleEndian(1)));
            return;
        case BININT2:
            pushInt(int64_t(readLittleEndian(2)));
            return;
        case LONG1: {
            const std::size_t length = std::size_t(readLittleEndian(1));
            if (length > 8)
                fail("a LONG1 integer of " + std::to_string(length) + " bytes does not fit 64 bits");
            uint64_t bits = readLittleEndian(length);
            if (length > 0 && length < 8 && (bits >> (8 * length - 1) & 1))
                bits |= ~uint64_t(0) << (8 * length);
            pushInt(int64_t(bits));
            return;
        }
        case BINFLOAT: {
            const uint8_t* bytes = take(8); // big-endian
            uint64_t bits = 0;
            for (int i = 0; i < 8; ++i)
                bits = bits << 8 | bytes[i];
            Value* value = newValue(Kind::Float);
            std::memcpy(&value->real, &bits, sizeof bits);
            push(value);
            return;
        }
        case NONE:
            push(m_none);
            return;
        case NEWTRUE:
            push(m_true);
            return;
        case NEWFALSE:
            push(m_false);
            return;
        case BINPUT:
            memoize(readLittleEndian(1));
            return;
        case LONG_BINPUT:
            memoize(readLittleEndian(4));
            return;
        case MEMOIZE:
            memoize(m_memoCount);
            return;
        case BINGET:
            push(recall(readLittleEndian(1)));
            return;
        case LONG_BINGET:
            push(recall(readLittleEndian(4)));
            return;
        case GLOBAL: {
            const std::string module = readLine();
            const std::string name = readLine();
            pushGlobal(module, name);
            return;
        }
        case STACK_GLOBAL: {
            const Value* name = pop();
            const Value* module = pop();
            if (module->kind != Kind::String || name->kind != Kind::String)
                fail(std::string("STACK_GLOBAL needs two strings, found a ") + kindName(module->kind) +
                     " and a " + kindName(name->kind));
            pushGlobal(module->text, name->text);
            return;
        }
        case REDUCE:
            reduce();
            return;
        case BUILD:
            build();
            return;
        case BINPERSID:
            persistentLoad();
            return;
        default:
            if (knownOpcodeName(opcode))
                fail("unsupported pickle opcode " + opcodeName(opcode) + " (" + hexByte(opcode) +
                     "), which a state dict does not need");
            fail("unknown pickle opcode " + hexByte(opcode));
        }
    }

    Value* interpret() {
        for (;;) {
            m_opcodeOffset = m_pos;
            if (m_pos >= m_size) fail("the pickle ends without a STOP opcode (truncated)");
            m_opcode = m_data[m_pos++];
            if (m_opcode == STOP) return pop();
            step(m_opcode);
        }
    }

    // --- flattening the result into named tensors ---

    void spend(std::size_t work) {
        m_flattenWork += work;
        if (m_flattenWork > kMaxFlattenWork)
            failStructure(
                "the nested dicts and lists are too large to flatten (a shared or absurdly deep structure)");
    }

    std::string keyText(const Value* key, const std::string& prefix) const {
        if (key->kind == Kind::String) return key->text;
        if (key->kind == Kind::Int) return std::to_string(key->integer);
        failStructure(std::string("a dict key") + (prefix.empty() ? "" : " under " + quoteUntrusted(prefix)) +
                      " is a " + kindName(key->kind) + "; only string and integer keys can name tensors");
    }

    static bool holdsTensors(Kind kind) {
        return kind == Kind::Tensor || kind == Kind::Dict || kind == Kind::List || kind == Kind::Tuple;
    }

    void flatten(Value* container, const std::string& prefix, int depth, std::vector<PickledTensor>& out) {
        if (depth >= kMaxNesting)
            failStructure("dicts and lists are nested more than " + std::to_string(kMaxNesting) +
                          " levels deep");
        if (container->beingFlattened)
            failStructure("a " + std::string(kindName(container->kind)) + " contains itself" +
                          (prefix.empty() ? "" : " (at " + quoteUntrusted(prefix) + ")"));
        container->beingFlattened = true;
        const bool isDict = container->kind == Kind::Dict;
        const std::size_t step = isDict ? 2 : 1;
        for (std::size_t i = 0; i + step <= container->items.size(); i += step) {
            spend(1);
            Value* value = container->items[i + step - 1];
            if (!holdsTensors(value->kind)) continue; // numbers, strings, None: not weights
            const std::string key = isDict ? keyText(container->items[i], prefix) : std::to_string(i);
            if (prefix.size() + 1 + key.size() > kMaxNameBytes)
                failStructure("a tensor name is longer than " + std::to_string(kMaxNameBytes) +
                              " bytes: " + quoteUntrusted(prefix));
            const std::string name = prefix.empty() ? key : prefix + "." + key;
            spend(name.size());
            if (value->kind == Kind::Tensor)
                out.push_back(makeTensor(name, value, out.size()));
            else
                flatten(value, name, depth + 1, out);
        }
        container->beingFlattened = false;
    }

    PickledTensor makeTensor(const std::string& name, const Value* tensor, std::size_t count) {
        if (count >= kMaxTensors)
            failStructure("the state dict holds more than " + std::to_string(kMaxTensors) + " tensors");
        m_totalNameBytes += name.size();
        if (m_totalNameBytes > kMaxTotalNameBytes)
            failStructure("the tensor names together exceed " + std::to_string(kMaxTotalNameBytes) +
                          " bytes");
        const Value* storage = tensor->items[0];
        PickledTensor result;
        result.name = name;
        result.storage.key = storage->text;
        result.storage.typeName = kStorageTypes[storage->storageType].name;
        result.storage.dtype = kStorageTypes[storage->storageType].dtype;
        result.storage.elementCount = storage->integer;
        result.storageOffset = tensor->integer;
        for (const Value* dim : tensor->items[1]->items)
            result.size.push_back(dim->integer);
        for (const Value* step : tensor->items[2]->items)
            result.stride.push_back(step->integer);
        return result;
    }

    const uint8_t* m_data;
    std::size_t m_size;
    std::size_t m_pos = 0;
    std::size_t m_opcodeOffset = 0;
    uint8_t m_opcode = 0;
    const std::string& m_context;

    std::deque<Value> m_values; // the arena: stable addresses
    std::vector<Value*> m_stack;
    std::vector<std::size_t> m_marks;
    std::vector<Value*> m_memo;
    uint64_t m_memoCount = 0;
    std::size_t m_containerItems = 0;
    Value* m_none = nullptr;
    Value* m_true = nullptr;
    Value* m_false = nullptr;

    std::size_t m_flattenWork = 0;
    std::size_t m_totalNameBytes = 0;
};

} // namespace

std::vector<PickledTensor> unpickleStateDict(const std::vector<uint8_t>& pickle, const std::string& context) {
    return Unpickler(pickle, context).run();
}

} // namespace cm::detail
