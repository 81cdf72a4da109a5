// The CSV import's "Choose a file": reads the chosen file into the text field, so Preview and
// Import send it as if it had been pasted. Without scripts the field is hidden and pasting works.
(function () {
  var picker = document.getElementById('csv-file-row');
  var input = document.getElementById('csv-file');
  var text = document.getElementById('csv');
  if (!picker || !input || !text || !window.FileReader) return;
  picker.hidden = false;
  input.addEventListener('change', function () {
    var file = input.files && input.files[0];
    if (!file) return;
    var reader = new FileReader();
    reader.onload = function () { text.value = String(reader.result); };
    reader.readAsText(file, 'utf-8');
  });
})();
