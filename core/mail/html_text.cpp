// HTML -> text: a walk over gumbo's tree that writes text with pending line breaks and spaces,
// so breaks and spaces are only ever written between two pieces of text.
#include "core/mail/html_text.hpp"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <csetjmp>
#include <cstdlib>
#include <memory>
#include <unordered_set>
#include <vector>

#include "core/mail/ascii_text.hpp"

namespace mail2sms::mail {
namespace {

enum class layout { inline_, line, paragraph, cell, skip };

layout layout_of(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_SELECT:
      return layout::skip;
    case GUMBO_TAG_P:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_HR:
      return layout::paragraph;
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_TABLE:  // no margins in a browser: a line, not a paragraph
    case GUMBO_TAG_BR:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_HTML:
      return layout::line;
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
      return layout::cell;
    default:
      return layout::inline_;
  }
}

// Zero-width characters HTML mail uses as padding and preview-text filler (U+200B, U+200C,
// U+2060, U+FEFF, U+00AD, U+034F): octets they take at `i`, or 0. ZWJ (U+200D) stays: emoji
// sequences need it.
std::size_t invisible_at(std::string_view text, std::size_t i) {
  for (std::string_view mark :
       {"\xE2\x80\x8B", "\xE2\x80\x8C", "\xE2\x81\xA0", "\xEF\xBB\xBF", "\xC2\xAD", "\xCD\x8F"}) {
    if (text.substr(i, mark.size()) == mark) return mark.size();
  }
  return 0;
}

class text_writer {
 public:
  void request_break(int lines) { pending_break_ = std::max(pending_break_, lines); }
  void request_space() { pending_space_ = true; }

  // Text as HTML shows it outside pre: whitespace runs are one space.
  void write_collapsed(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        pending_space_ = true;
      } else if (c == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') {  // U+00A0
        pending_space_ = true;
        ++i;
      } else if (const std::size_t n = invisible_at(text, i); n > 0) {
        i += n - 1;
      } else {
        put(c);
      }
    }
  }

  // Text inside pre: its line breaks are kept.
  void write_preformatted(std::string_view text) {
    for (const char c : text) {
      if (c == '\n') {
        request_break(1);
      } else if (c == ' ' || c == '\t' || c == '\r') {
        pending_space_ = true;
      } else {
        put(c);
      }
    }
  }

  std::string take() { return std::move(out_); }

 private:
  void put(char c) {
    if (!out_.empty()) {
      if (pending_break_ > 0) {
        out_.append(static_cast<std::size_t>(pending_break_), '\n');
      } else if (pending_space_ && out_.back() != '\n') {
        out_ += ' ';
      }
    }
    pending_break_ = 0;
    pending_space_ = false;
    out_ += c;
  }

  std::string out_;
  int pending_break_ = 0;
  bool pending_space_ = false;
};

std::string_view attribute(const GumboElement& element, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&element.attributes, name);
  return a == nullptr ? std::string_view{} : std::string_view(a->value);
}

const GumboVector* children_of(const GumboNode* node) {
  if (node->type == GUMBO_NODE_DOCUMENT) return &node->v.document.children;
  if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE)
    return &node->v.element.children;
  return nullptr;
}

const GumboNode* child(const GumboVector& children, unsigned i) {
  return static_cast<const GumboNode*>(children.data[i]);
}

// The links whose subtree holds visible text (anything but whitespace), found in one pass over
// the tree, children before parents: asking each link separately read a subtree once per link
// above it, and links nest (a marker element such as <marquee> lets an <a> hold another), so
// 10,000 of them took seconds. The walks keep their own stacks: a tree from max_html_tags tags
// can be that deep, and every level of it is read (an HTML mail's text can sit below a thousand
// <div>s).
std::unordered_set<const GumboNode*> links_with_text(const GumboNode* root) {
  std::unordered_set<const GumboNode*> links;
  struct visit {
    const GumboNode* node;
    unsigned next;
    bool text;  // a child seen so far has text
  };
  std::vector<visit> stack{{root, 0, false}};
  while (!stack.empty()) {
    visit& top = stack.back();
    const GumboVector* children = children_of(top.node);
    if (children != nullptr && top.next < children->length) {
      const GumboNode* c = child(*children, top.next++);
      if (c->type == GUMBO_NODE_TEXT || c->type == GUMBO_NODE_CDATA) {
        if (!trim(c->v.text.text).empty()) top.text = true;
      } else if (c->type == GUMBO_NODE_ELEMENT) {  // as before: a template's content is not read
        stack.push_back({c, 0, false});            // `top` is not used after this
      }
      continue;
    }
    const visit done = top;
    stack.pop_back();
    if (done.text && done.node->type == GUMBO_NODE_ELEMENT &&
        done.node->v.element.tag == GUMBO_TAG_A)
      links.insert(done.node);
    if (done.text && !stack.empty()) stack.back().text = true;
  }
  return links;
}

// An element or document being walked: the children still to write, and what its end asks for.
struct open_node {
  const GumboVector* children;
  unsigned next;
  bool pre;
  int lines;  // a break of this many lines after it (and before it, already asked for)
  bool cell;  // a space after it
};

// Writes `node` if it is text, or opens it onto `stack` if it has children to write.
void enter(const GumboNode* node, bool in_pre, const std::unordered_set<const GumboNode*>& links,
           text_writer& out, std::vector<open_node>& stack) {
  switch (node->type) {
    case GUMBO_NODE_TEXT:
    case GUMBO_NODE_CDATA:
    case GUMBO_NODE_WHITESPACE:
      if (in_pre) {
        out.write_preformatted(node->v.text.text);
      } else {
        out.write_collapsed(node->v.text.text);
      }
      return;
    case GUMBO_NODE_DOCUMENT:
      stack.push_back({children_of(node), 0, in_pre, 0, false});
      return;
    case GUMBO_NODE_ELEMENT:
    case GUMBO_NODE_TEMPLATE:
      break;
    default:  // comments
      return;
  }
  const GumboElement& element = node->v.element;
  const layout kind = layout_of(element.tag);
  if (kind == layout::skip) return;
  const int lines = kind == layout::paragraph ? 2 : kind == layout::line ? 1 : 0;
  if (lines > 0) out.request_break(lines);
  if (kind == layout::cell) out.request_space();
  if (element.tag == GUMBO_TAG_A && !links.contains(node)) {
    const std::string_view href = attribute(element, "href");
    if (href.starts_with("http://") || href.starts_with("https://")) {
      out.request_space();
      out.write_collapsed(href);
      out.request_space();
    }
    return;
  }
  stack.push_back(
      {&element.children, 0, in_pre || element.tag == GUMBO_TAG_PRE, lines, kind == layout::cell});
}

void walk(const GumboNode* root, text_writer& out) {
  const auto links = links_with_text(root);
  std::vector<open_node> stack;
  enter(root, false, links, out, stack);
  while (!stack.empty()) {
    open_node& top = stack.back();
    if (top.next < top.children->length) {
      const GumboNode* next = child(*top.children, top.next++);
      enter(next, top.pre, links, out, stack);  // may grow the stack: `top` is not used after this
      continue;
    }
    if (top.lines > 0) out.request_break(top.lines);
    if (top.cell) out.request_space();
    stack.pop_back();
  }
}

// gumbo's memory for one document, kept under a limit. Few tags can make a large tree: each
// open formatting element (<b id=1>, <b id=2>, ...) is copied again into every paragraph that
// follows (the HTML standard's "reconstruct the active formatting elements"), so 2,000 of each
// in a 37 KB mail made 4 million elements and 1.6 GB. gumbo cannot stop part-way and does not
// check what its allocator returns: past the limit the allocator jumps back out of gumbo_parse
// (C frames only, nothing to unwind) and every block it had is freed here.
struct bounded_heap {
  struct block {
    block* prev;
    block* next;
    std::size_t size;
  };
  std::size_t live = 0;
  std::size_t limit = 0;
  block head{&head, &head, 0};
  std::jmp_buf out_of_budget;

  static void* allocate(void* self, std::size_t size) {
    auto* h = static_cast<bounded_heap*>(self);
    size += sizeof(block);  // counted with its bookkeeping: gumbo's blocks are mostly small
    if (size > h->limit - h->live) std::longjmp(h->out_of_budget, 1);
    auto* b = static_cast<block*>(std::malloc(size));
    if (b == nullptr) std::longjmp(h->out_of_budget, 1);
    *b = block{&h->head, h->head.next, size};
    h->head.next->prev = b;
    h->head.next = b;
    h->live += size;
    return b + 1;
  }
  static void release(void* self, void* pointer) {
    if (pointer == nullptr) return;
    auto* h = static_cast<bounded_heap*>(self);
    auto* b = static_cast<block*>(pointer) - 1;
    b->prev->next = b->next;
    b->next->prev = b->prev;
    h->live -= b->size;
    std::free(b);
  }
  ~bounded_heap() {
    while (head.next != &head) release(this, head.next + 1);
  }
};

// The parse under `heap`'s limit; nullptr when it ran out. Nothing in this frame has a destructor
// (longjmp skips none).
GumboOutput* parse_bounded(const GumboOptions& options, bounded_heap& heap, std::string_view html) {
  if (setjmp(heap.out_of_budget) != 0) return nullptr;
  return gumbo_parse_with_options(&options, html.data(), html.size());
}

}  // namespace

std::optional<std::string> html_to_text(std::string_view html) {
  // gumbo builds and frees its tree recursively: bound the number of elements, and so the depth,
  // before it sees the document.
  if (std::count(html.begin(), html.end(), '<') > static_cast<std::ptrdiff_t>(max_html_tags)) {
    return std::nullopt;
  }
  bounded_heap heap;
  heap.limit = max_html_parse_memory;
  GumboOptions options = kGumboDefaultOptions;
  options.allocator = &bounded_heap::allocate;
  options.deallocator = &bounded_heap::release;
  options.userdata = &heap;
  options.max_errors = 0;  // the parse errors are not read: keep none
  GumboOutput* output = parse_bounded(options, heap, html);
  if (output == nullptr) return std::nullopt;  // the heap frees what the parse left
  text_writer out;
  walk(output->document, out);
  gumbo_destroy_output(&options, output);
  return out.take();
}

std::string html_declared_charset(std::string_view html) {
  const std::string_view head = html.substr(0, 1024);
  std::string lowered(head);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), ascii_lower);
  const std::size_t at = lowered.find("charset=");
  if (at == std::string::npos || lowered.rfind("<meta", at) == std::string::npos) return {};
  std::size_t begin = at + 8;
  while (begin < lowered.size() && (lowered[begin] == '"' || lowered[begin] == '\'')) ++begin;
  std::size_t end = begin;
  while (end < lowered.size() &&
         (std::isalnum(static_cast<unsigned char>(lowered[end])) || lowered[end] == '-' ||
          lowered[end] == '_' || lowered[end] == ':'))
    ++end;
  std::string charset = lowered.substr(begin, end - begin);
  // A document whose <meta> could be read as ASCII is not UTF-16, whatever it says: the HTML
  // standard reads a declared UTF-16 as UTF-8 (Outlook writes "unicode" for it).
  if (charset.starts_with("utf-16") || charset == "unicode" || charset == "ucs-2" ||
      charset == "iso-10646-ucs-2")
    return "utf-8";
  return charset;
}

}  // namespace mail2sms::mail
