import './style.css';

const button = document.querySelector('#counter');
let count = 0;

button.addEventListener('click', () => {
  count += 1;
  button.textContent = `clicked ${count} time${count === 1 ? '' : 's'}`;
});
