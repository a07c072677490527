(function(){
var q=document.getElementById('rq-filter');
var cards=Array.prototype.slice.call(document.querySelectorAll('article.rq'));
var boxes=Array.prototype.slice.call(document.querySelectorAll('input.rq-status'));
var shown=document.getElementById('rq-shown');
function apply(){
var text=q?q.value.trim().toLowerCase():'';var on={};var n=0;
boxes.forEach(function(b){on[b.value]=b.checked;});
cards.forEach(function(c){
var ok=(!text||c.getAttribute('data-search').indexOf(text)>=0)&&
(boxes.length===0||on[c.getAttribute('data-status')]);
c.style.display=ok?'':'none';if(ok){n++;}});
if(shown){shown.textContent=String(n);}}
if(q){q.addEventListener('input',apply);}
boxes.forEach(function(b){b.addEventListener('change',apply);});
apply();
document.body.setAttribute('data-js-ok','1');
})();
