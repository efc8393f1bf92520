// A link to the same page in the other language, at the top of every page.
// The English book is published at the site's root and the Chinese one under
// /zh/ (the same layout as a local build: _build/html and _build/html/zh).
document.addEventListener("DOMContentLoaded", () => {
  const html = document.documentElement;
  const root = html.dataset.content_root || "./";
  // documentation_options.js declares a top-level const, not a window property
  const options = typeof DOCUMENTATION_OPTIONS === "undefined" ? {} : DOCUMENTATION_OPTIONS;
  const page = options.pagename;
  if (!page) return;
  const chinese = (html.lang || "").toLowerCase().startsWith("zh");
  const link = document.createElement("a");
  link.className = "stocklearn-language";
  // pages only the Chinese book has (its glossary) link the English start page
  const only_chinese = ["book/glossary"];
  const other = chinese && only_chinese.includes(page) ? "book/intro" : page;
  link.href = root + (chinese ? "../" : "zh/") + other + ".html";
  link.textContent = chinese ? "English" : "中文";
  link.lang = chinese ? "en" : "zh-CN";
  link.title = chinese ? "The same page in English" : "本页的中文版";
  const bar = document.querySelector(".article-header-buttons")
    || document.querySelector(".bd-header-article") || document.body;
  bar.prepend(link);
});
