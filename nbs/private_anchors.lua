-- A heading that is a private name (show_doc(_draw) renders "### _draw") gets the anchor nbdev's doc
-- links point to, "#_draw": Pandoc's own identifier drops everything before the first letter ("draw"),
-- so a backticked `_draw` in the prose would link to an anchor that does not exist.
function Header(h)
  local text = pandoc.utils.stringify(h.content)
  if text:match("^_[%w_.]+$") then h.identifier = text:lower() end
  return h
end
