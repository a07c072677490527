window.__omphalosErrors=[];
function __omphalosRecord(kind,msg){window.__omphalosErrors.push(kind+': '+msg);
document.documentElement.setAttribute('data-js-errors',String(window.__omphalosErrors.length));
var box=document.getElementById('js-errors');
if(box){box.style.display='block';box.textContent=window.__omphalosErrors.join('\n');}}
window.addEventListener('error',function(e){__omphalosRecord('error',
e.message||(e.target&&(e.target.src||e.target.href))||'resource');},true);
document.addEventListener('securitypolicyviolation',function(e){
__omphalosRecord('csp',e.violatedDirective+' '+e.blockedURI);});
